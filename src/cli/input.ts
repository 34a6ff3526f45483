/**
 * Reading what a command is given: a file, or standard input wherever a file name is `-`
 * (`rag query -`, `audit verify -`, `--keys -`). A read that fails is a UsageError naming the
 * argument, so the command exits 2 with one line instead of a stack trace.
 */
import { readFile } from 'node:fs/promises';
import process from 'node:process';
import { UsageError } from './args.ts';

/** The text of `path`, or of standard input when `path` is `-`; `argument` names it in errors. */
export async function readInput(argument: string, path: string): Promise<string> {
  if (path === '-') return readStandardInput(argument);
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(argument, `cannot read ${path}: ${(error as Error).message}`);
  }
}

/** How messages name `path`: `standard input` for `-`, else the path. */
export function inputName(path: string): string {
  return path === '-' ? 'standard input' : path;
}

/** {@link readInput} parsed as JSON; `what` names the content in errors (`key file`). */
export async function readJsonInput<T>(argument: string, path: string, what: string): Promise<T> {
  const text = await readInput(argument, path);
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new UsageError(argument, `${what} ${inputName(path)} is not JSON: ${(error as Error).message}`);
  }
}

async function readStandardInput(argument: string): Promise<string> {
  // Standard input can be read once: a second `-` would silently read nothing.
  if (process.stdin.readableEnded)
    throw new UsageError(argument, 'standard input (-) was already read for another argument');
  const decoder = new TextDecoder();
  let text = '';
  for await (const chunk of process.stdin as AsyncIterable<Uint8Array | string>)
    text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
  return text + decoder.decode();
}
