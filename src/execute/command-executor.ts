/**
 * An executor that runs a command per action, from argv templates such as
 * `["systemctl", "restart", "{service}"]`. Server-side only (node:child_process, which Node, Deno
 * and Bun all provide), so it has its own subpath export (`x0tta6bl4/execute/command`) and stays
 * out of the portable `execute` module.
 *
 * No value can inject a command or an option:
 * - the command runs without a shell (spawn with an argv array), so `;`, `$(...)`, quotes and
 *   spaces in a node's name reach the program literally, inside the one argument they were put in;
 * - the program (argv[0]) is the template's own literal, never a placeholder;
 * - a value that would begin an argument with `-` (when the template's argument does not begin
 *   with one itself) is refused, so a node named `--force` is not read as an option; and a value
 *   holding a NUL character is refused.
 *
 * Placeholders, each replaced inside the one argument it appears in: `{action}`, `{node}` and
 * `{service}` (the node's id, for a node target), `{link}` (`a-b`), `{from}` and `{to}` (the
 * link's ends, for a link target), `{incident}` (the incident's id) and `{id}` (the action's id).
 * A template using a placeholder the target does not have (`{node}` for a link) is not
 * applicable to it. Exit code 0 succeeds; any other, a signal, or the timeout (which kills the
 * command and its process group) fails with a reason naming it and the tail of its stderr.
 *
 * `dryRun` renders the command and checks that its program exists and is executable, without
 * running it. `rollback` runs the action's rollback template; an action with none cannot be
 * undone here, and says so.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { delimiter, isAbsolute, join } from 'node:path';
import process from 'node:process';
import { targetScope } from '../domain/targets.ts';
import { ArgumentError } from '../errors.ts';
import type { ActionRequest, ExecutionResult, Executor } from './executor.ts';
import { checkTimeout } from './http-post.ts';

/** Argv templates by action name, e.g. `{ "restart-service": ["systemctl", "restart", "{service}"] }`. */
export type CommandTemplates = Readonly<Record<string, readonly string[]>>;

/** Options of {@link CommandExecutor}. */
export interface CommandExecutorOptions {
  /** The command of each action this executor carries out. */
  actions: CommandTemplates;
  /** The command undoing each action that can be undone. */
  rollback?: CommandTemplates;
  /** Milliseconds a command may run before it is killed and fails (default 60,000). */
  timeoutMs?: number;
}

/** Default milliseconds a command may run. */
export const COMMAND_TIMEOUT_MS = 60_000;

/** The placeholders a template may use. */
export const COMMAND_PLACEHOLDERS = [
  'action',
  'node',
  'service',
  'link',
  'from',
  'to',
  'incident',
  'id',
] as const;

/** Milliseconds between the polite SIGTERM of a timed-out command and the SIGKILL. */
const KILL_GRACE_MS = 2_000;
/** Milliseconds to wait, after a command exits, for its output pipes to close (a grandchild may hold them). */
const PIPE_GRACE_MS = 1_000;
/** Bytes of stderr kept, and characters of it quoted in a reason. */
const STDERR_KEEP_BYTES = 4_096;
const STDERR_REASON_CHARS = 500;

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const KNOWN = new Set<string>(COMMAND_PLACEHOLDERS);

/** A command rendered for one request, or why it cannot be. */
type Rendered = { argv: string[] } | { refusal: string };

/** Carries actions out by running commands (see the module's comment). */
export class CommandExecutor implements Executor {
  readonly #actions: ReadonlyMap<string, readonly string[]>;
  readonly #rollback: ReadonlyMap<string, readonly string[]>;
  readonly #timeoutMs: number;

  /** An executor over `options.actions`; throws ArgumentError naming the template that is wrong. */
  constructor(options: CommandExecutorOptions) {
    this.#actions = checkTemplates(options?.actions, 'actions');
    this.#rollback = checkTemplates(options.rollback ?? {}, 'rollback');
    this.#timeoutMs = checkTimeout(options.timeoutMs ?? COMMAND_TIMEOUT_MS, 'timeoutMs');
  }

  /** Renders the action's command and checks its program can be run, without running it. */
  async dryRun(request: ActionRequest): Promise<ExecutionResult> {
    const rendered = this.#render(this.#actions, request, 'command');
    if ('refusal' in rendered) return { ok: false, reason: rendered.refusal };
    const program = rendered.argv[0];
    return (await findProgram(program))
      ? { ok: true }
      : {
          ok: false,
          reason: `program ${JSON.stringify(program)} is not an executable file${isAbsolute(program) ? '' : ' on PATH'}`,
        };
  }

  /** Runs the action's command. */
  apply(request: ActionRequest): Promise<ExecutionResult> {
    return this.#run(this.#actions, request, 'command');
  }

  /** Runs the action's rollback command, when it has one. */
  rollback(request: ActionRequest): Promise<ExecutionResult> {
    return this.#run(this.#rollback, request, 'rollback command');
  }

  async #run(
    templates: ReadonlyMap<string, readonly string[]>,
    request: ActionRequest,
    what: string,
  ): Promise<ExecutionResult> {
    const rendered = this.#render(templates, request, what);
    if ('refusal' in rendered) return { ok: false, reason: rendered.refusal };
    return runCommand(rendered.argv, this.#timeoutMs);
  }

  #render(templates: ReadonlyMap<string, readonly string[]>, request: ActionRequest, what: string): Rendered {
    const template = templates.get(request?.action);
    if (!template)
      return {
        refusal:
          what === 'command'
            ? `not applicable: no command is configured for ${JSON.stringify(request?.action)}`
            : `no rollback command is configured for ${JSON.stringify(request.action)}: nothing was undone`,
      };
    const values = valuesOf(request);
    const argv: string[] = [];
    for (const [i, part] of template.entries()) {
      let missing: string | undefined;
      const text = part.replace(PLACEHOLDER, (_, name: string) => {
        const value = values[name];
        if (value === undefined) missing ??= name;
        return value ?? '';
      });
      if (missing !== undefined)
        return {
          refusal: `not applicable: the ${what} of ${request.action} uses {${missing}}, which a ${targetScope(request.target)} target does not have`,
        };
      if (text.includes('\0'))
        return { refusal: `refused: argument ${i} of the ${what} would hold a NUL character` };
      if (text.startsWith('-') && !part.startsWith('-'))
        return {
          refusal: `refused: argument ${i} of the ${what} would begin with "-" (${JSON.stringify(text)}), which the program could read as an option`,
        };
      argv.push(text);
    }
    return { argv };
  }
}

/** The placeholders' values for `request`; those its target does not have are absent. */
function valuesOf(request: ActionRequest): Record<string, string | undefined> {
  const target = request.target;
  const common = { action: request.action, incident: request.incidentId, id: request.id };
  if (target?.node !== undefined) return { ...common, node: target.node, service: target.node };
  if (Array.isArray(target?.link)) {
    const [from, to] = target.link;
    return { ...common, link: `${from}-${to}`, from, to };
  }
  return common;
}

function checkTemplates(value: unknown, argument: string): ReadonlyMap<string, readonly string[]> {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new ArgumentError(argument, 'expected an object of argv templates by action name');
  const templates = new Map<string, readonly string[]>();
  for (const [action, template] of Object.entries(value)) {
    const at = `${argument}.${action}`;
    if (
      !Array.isArray(template) ||
      template.length === 0 ||
      !template.every((part) => typeof part === 'string')
    )
      throw new ArgumentError(at, 'expected a non-empty array of strings (the program, then its arguments)');
    if (template[0] === '' || template[0].search(PLACEHOLDER) >= 0)
      throw new ArgumentError(
        `${at}[0]`,
        `the program must be a fixed name or path, got ${JSON.stringify(template[0])}`,
      );
    for (const [i, part] of template.entries()) {
      if (part.includes('\0')) throw new ArgumentError(`${at}[${i}]`, 'holds a NUL character');
      for (const [, name] of part.matchAll(PLACEHOLDER))
        if (!KNOWN.has(name))
          throw new ArgumentError(
            `${at}[${i}]`,
            `unknown placeholder {${name}} (known: ${COMMAND_PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`,
          );
    }
    templates.set(action, [...template]);
  }
  return templates;
}

/** Whether `program` is an executable file: a path as given, or a bare name found on PATH. */
async function findProgram(program: string): Promise<boolean> {
  const candidates = program.includes('/')
    ? [program]
    : (process.env.PATH ?? '')
        .split(delimiter)
        .filter(Boolean)
        .map((dir) => join(dir, program));
  for (const candidate of candidates) {
    try {
      await access(candidate, constants.X_OK);
      return true;
    } catch {
      // Not there, or not executable: try the next directory.
    }
  }
  return false;
}

/** Runs `argv` without a shell; resolves with its outcome, never rejects. */
function runCommand(argv: readonly string[], timeoutMs: number): Promise<ExecutionResult> {
  const shown = argv.map((part) => (/^[\w./:@=+,-]+$/.test(part) ? part : JSON.stringify(part))).join(' ');
  return new Promise((resolve) => {
    let stderr = new Uint8Array(0);
    let settled = false;
    let timedOut = false;
    const timers: ReturnType<typeof setTimeout>[] = [];
    const finish = (result: ExecutionResult): void => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      resolve(result);
    };
    const child = spawn(argv[0], argv.slice(1), {
      shell: false,
      stdio: ['ignore', 'ignore', 'pipe'],
      // Its own process group, so a timeout kills whatever it started too.
      detached: process.platform !== 'win32',
      windowsHide: true,
    });
    const kill = (signal: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, signal);
        else child.kill(signal);
      } catch {
        // Already gone.
      }
    };
    child.stderr?.on('data', (chunk: Uint8Array) => {
      const joined = new Uint8Array(stderr.length + chunk.length);
      joined.set(stderr);
      joined.set(chunk, stderr.length);
      stderr = joined.subarray(Math.max(0, joined.length - STDERR_KEEP_BYTES));
    });
    const tail = (): string => {
      const text = new TextDecoder().decode(stderr).trim();
      return text ? `: ${text.slice(-STDERR_REASON_CHARS)}` : '';
    };
    child.once('error', (error) =>
      finish({ ok: false, reason: `${shown} could not be started: ${error.message}` }),
    );
    const ended = (code: number | null, signal: NodeJS.Signals | null): void => {
      if (timedOut)
        finish({ ok: false, reason: `${shown} timed out after ${timeoutMs} ms and was killed${tail()}` });
      else if (code === 0) finish({ ok: true });
      else if (code !== null) finish({ ok: false, reason: `${shown} exited with code ${code}${tail()}` });
      else finish({ ok: false, reason: `${shown} was killed by ${signal}${tail()}` });
    };
    child.once('close', ended);
    child.once('exit', (code, signal) => {
      if (settled) return;
      timers.push(
        setTimeout(() => {
          child.stderr?.destroy();
          ended(code, signal);
        }, PIPE_GRACE_MS),
      );
    });
    timers.push(
      setTimeout(() => {
        timedOut = true;
        kill('SIGTERM');
        timers.push(setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS));
      }, timeoutMs),
    );
  });
}
