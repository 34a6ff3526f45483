/**
 * The error a promise rejects with. Bun's `await expect(p).rejects` never sees a rejection that
 * arrives through a Worker message (oven-sh/bun#37189, #43819), so assertions go through this.
 */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected the call to fail');
}
