/**
 * A free TCP port on 127.0.0.1 for a test server: the kernel picks one for a listener that is
 * closed again at once, so a real server started next can bind it.
 */
import { createServer } from 'node:net';

/** A port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => (port ? resolve(port) : reject(new Error('the kernel gave no port'))));
    });
  });
}
