/**
 * The command-line layer every command shares. A command declares its options once, each with
 * a type (integer or number with bounds, string, choice, boolean, input file, output file) and
 * a line of help; `parseCommand` reads the arguments with node:util's parseArgs and checks them
 * against those declarations, and `runCommandSpec` prints the help for `--help`/`-h` and turns a
 * {@link UsageError} into one line, the command's usage and exit code 2.
 */
import { accessSync, constants, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ArgumentError } from '../errors.ts';

/** A command-line argument is missing, unknown or out of bounds: the command exits 2. */
export class UsageError extends ArgumentError {}

/**
 * An engine ArgumentError caused by what was typed (a store path that is not a store, a bad
 * threshold expression) as a UsageError with the same argument and text.
 */
export function asUsageError(error: ArgumentError): UsageError {
  return error instanceof UsageError
    ? error
    : new UsageError(error.argument, error.message.slice(error.argument.length + 2));
}

/** Where a command writes its results (`out`, stdout) and its messages (`err`, stderr). */
export interface CommandIo {
  out(text: string): void;
  err(text: string): void;
}

/** The process's stdout and stderr, through the console (which tests can capture). */
export const consoleIo: CommandIo = {
  out: (text) => console.log(text),
  err: (text) => console.error(text),
};

interface OptionBase {
  /** One line for `--help`. */
  readonly help: string;
  /** The value's name in the help, e.g. `N` or `FILE`. */
  readonly value?: string;
}

/** A switch: present or not. */
export interface BooleanOption extends OptionBase {
  readonly type: 'boolean';
  readonly short?: string;
}

/** Free text, or one of `choices`; `multiple` collects every occurrence. */
export interface StringOption extends OptionBase {
  readonly type: 'string';
  readonly default?: string;
  readonly choices?: readonly string[];
  readonly multiple?: boolean;
}

/** A decimal integer (no `0x10`, `1e3` or `2.0`) within `min..max`. */
export interface IntegerOption extends OptionBase {
  readonly type: 'integer';
  readonly default?: number;
  readonly min: number;
  readonly max: number;
}

/** A finite decimal number within `min..max`; `min` itself excluded when `aboveMin`. */
export interface NumberOption extends OptionBase {
  readonly type: 'number';
  readonly default?: number;
  readonly min: number;
  readonly max: number;
  readonly aboveMin?: boolean;
}

/** A file that must exist and be a file, or `-` for standard input (see input.ts) unless `standardInput` is false. */
export interface InputOption extends OptionBase {
  readonly type: 'input';
  readonly standardInput?: boolean;
}

/** A file the command will write: its folder must exist and be writable. */
export interface OutputOption extends OptionBase {
  readonly type: 'output';
  readonly default?: string;
}

/** One option's declaration. */
export type OptionSpec =
  | BooleanOption
  | StringOption
  | IntegerOption
  | NumberOption
  | InputOption
  | OutputOption;

/** A command's options by long name (without the dashes). */
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;

type ValueOf<S> = S extends BooleanOption
  ? boolean
  : S extends IntegerOption | NumberOption
    ? number
    : S extends { multiple: true }
      ? string[]
      : string;

type Given<S> = S extends BooleanOption | { multiple: true } | { default: string | number }
  ? ValueOf<S>
  : ValueOf<S> | undefined;

/** The parsed values of `O`: booleans, lists and options with a default are always present. */
export type OptionValues<O extends OptionSpecs> = { [K in keyof O]: Given<O[K]> };

/** A command (or subcommand): its name, usage, options, arguments and exit codes. */
export interface CommandSpec<O extends OptionSpecs = OptionSpecs> {
  /** The words after `x0tta6bl4`: `run`, `audit verify`. */
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Synopsis lines, each after `x0tta6bl4 <name> `. */
  readonly usage: readonly string[];
  /** Text shown by `--help` between the usage and the options. */
  readonly details?: string;
  readonly options: O;
  /** The positional arguments: their name for messages (`<store>`) and how many are allowed. */
  readonly positionals?: { readonly name: string; readonly min: number; readonly max: number };
  /** The exit codes, e.g. `0 done, 1 a threshold broke, 2 usage error`. */
  readonly exitCodes: string;
}

/** A command's arguments once checked. */
export interface ParsedCommand<O extends OptionSpecs> {
  readonly values: OptionValues<O>;
  readonly positionals: string[];
}

/**
 * Declares a command; the `const` type parameter keeps the option literals, so the parsed
 * values are typed (a number for `integer`, `string | undefined` for an option without default).
 */
export function defineCommand<const O extends OptionSpecs>(spec: CommandSpec<O>): CommandSpec<O> {
  return spec;
}

/**
 * Reads `argv` against `spec`. Returns undefined when `--help` or `-h` is among the arguments;
 * throws a {@link UsageError} naming the first unknown option, missing value, value out of
 * bounds, repeated option or unexpected argument.
 */
export function parseCommand<O extends OptionSpecs>(
  spec: CommandSpec<O>,
  argv: readonly string[],
): ParsedCommand<O> | undefined {
  const declared: Record<string, { type: 'string' | 'boolean'; short?: string }> = {
    help: { type: 'boolean', short: 'h' },
  };
  for (const [name, option] of Object.entries(spec.options))
    declared[name] =
      option.type !== 'boolean'
        ? { type: 'string' }
        : option.short === undefined
          ? { type: 'boolean' }
          : { type: 'boolean', short: option.short };
  // Not strict: every problem is reported below in our words, the same on Node, Deno and Bun.
  const { tokens } = parseArgs({
    args: [...argv],
    options: declared,
    allowPositionals: true,
    strict: false,
    tokens: true,
  });
  if (tokens.some((t) => t.kind === 'option' && t.name === 'help')) return undefined;

  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const flag = `--${token.name}`;
    const option = spec.options[token.name];
    if (option === undefined)
      throw new UsageError(token.rawName, `unknown option${suggestion(token.name, spec.options)}`);
    if (option.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(flag, 'takes no value');
      values[token.name] = true;
      continue;
    }
    // parseArgs takes the next argument as the value even when it is the next option.
    if (token.value === undefined || (!token.inlineValue && token.value.startsWith('--')))
      throw new UsageError(flag, `needs a value${option.value ? ` (${option.value})` : ''}`);
    const value = checkValue(flag, option, token.value);
    if (option.type === 'string' && option.multiple)
      values[token.name] = [...((values[token.name] as string[] | undefined) ?? []), value];
    else if (token.name in values) throw new UsageError(flag, 'given more than once');
    else values[token.name] = value;
  }

  for (const [name, option] of Object.entries(spec.options)) {
    if (name in values) continue;
    if (option.type === 'boolean') values[name] = false;
    else if (option.type === 'string' && option.multiple) values[name] = [];
    else if ('default' in option && option.default !== undefined)
      values[name] =
        option.type === 'output' ? checkValue(`--${name}`, option, option.default) : option.default;
  }
  checkPositionals(spec, positionals);
  return { values: values as OptionValues<O>, positionals };
}

function checkPositionals(spec: CommandSpec, positionals: readonly string[]): void {
  const { name, min, max } = spec.positionals ?? { name: '', min: 0, max: 0 };
  if (positionals.length > max) {
    const extra = positionals[max];
    const takes = max === 0 ? 'takes no arguments' : `takes ${max === 1 ? 'one' : `at most ${max}`}: ${name}`;
    throw new UsageError(
      JSON.stringify(extra),
      `unexpected argument (${spec.name} ${takes}${extra.startsWith('-') ? '; options start with --' : ''})`,
    );
  }
  if (positionals.length < min) throw new UsageError(name, 'missing');
}

function checkValue(flag: string, option: Exclude<OptionSpec, BooleanOption>, text: string): string | number {
  switch (option.type) {
    case 'integer': {
      const n = /^[+-]?\d+$/.test(text) ? Number(text) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < option.min || n > option.max)
        throw new UsageError(flag, `expected an integer ${bounds(option)}, got "${text}"`);
      return n;
    }
    case 'number': {
      const n = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : Number.NaN;
      const low = option.aboveMin ? n > option.min : n >= option.min;
      if (!Number.isFinite(n) || !low || n > option.max)
        throw new UsageError(flag, `expected a number ${bounds(option)}, got "${text}"`);
      return n;
    }
    case 'string':
      if (option.choices && !option.choices.includes(text))
        throw new UsageError(flag, `expected one of ${option.choices.join(', ')}, got "${text}"`);
      return text;
    case 'input':
      if (text === '-' && option.standardInput === false)
        throw new UsageError(flag, 'expected a file (standard input cannot be read here)');
      checkInputFile(flag, text);
      return text;
    case 'output':
      checkOutputFile(flag, text);
      return text;
  }
}

/** The allowed range in words: `from 5 to 10000`, `>= 0`, `> 0 and <= 8760`. */
function bounds(option: IntegerOption | NumberOption): string {
  const low = `${option.type === 'number' && option.aboveMin ? '>' : '>='} ${option.min}`;
  if (option.max >= Number.MAX_SAFE_INTEGER) return low;
  if (option.type === 'integer' || !option.aboveMin) return `from ${option.min} to ${option.max}`;
  return `${low} and <= ${option.max}`;
}

/** ` (did you mean --nodes?)` for a misspelt option, else nothing. */
function suggestion(name: string, options: OptionSpecs): string {
  const close = Object.keys(options).find(
    (known) => known.startsWith(name) || name.startsWith(known) || editDistance(known, name) <= 2,
  );
  return close === undefined ? '' : ` (did you mean --${close}?)`;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++)
      next[j] = Math.min(row[j] + 1, next[j - 1] + 1, row[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length];
}

/** Throws a UsageError naming `option` unless `path` is `-` (standard input) or an existing file. */
export function checkInputFile(option: string, path: string): void {
  if (path === '-') return;
  const found = statSync(path, { throwIfNoEntry: false });
  if (!found) throw new UsageError(option, `${path} does not exist`);
  if (found.isDirectory()) throw new UsageError(option, `${path} is a folder, not a file`);
}

/**
 * Checks, before any work starts, that a command will be able to write `path` at the end: its
 * folder exists and is writable, and `path` is not a folder. Throws a UsageError naming
 * `option` otherwise (a long run must not end in a stack trace and lose its results).
 */
export function checkOutputFile(option: string, path: string): void {
  if (path === '') throw new UsageError(option, 'expected a file path');
  const existing = statSync(path, { throwIfNoEntry: false });
  if (existing?.isDirectory()) throw new UsageError(option, `${path} is a folder, not a file`);
  const folder = dirname(resolve(path));
  const parent = statSync(folder, { throwIfNoEntry: false });
  if (!parent) throw new UsageError(option, `cannot write ${path}: folder ${folder} does not exist`);
  if (!parent.isDirectory()) throw new UsageError(option, `cannot write ${path}: ${folder} is not a folder`);
  try {
    accessSync(existing ? path : folder, constants.W_OK);
  } catch {
    throw new UsageError(option, `cannot write ${path}: permission denied`);
  }
}

/** The usage lines of `spec`, as printed after a usage error. */
export function usageText(spec: CommandSpec): string {
  return synopsis([spec]);
}

/**
 * `usage: x0tta6bl4 <name> <line>` for each usage line of `specs`; a line that starts with a
 * space continues the one before it, aligned under its arguments.
 */
function synopsis(specs: readonly CommandSpec[]): string {
  const lines = specs.flatMap((spec) =>
    spec.usage.map((line) =>
      line.startsWith(' ')
        ? `${' '.repeat(`x0tta6bl4 ${spec.name} `.length)}${line.trimStart()}`
        : `x0tta6bl4 ${spec.name} ${line}`,
    ),
  );
  return lines.map((line, i) => `${i === 0 ? 'usage:' : '      '} ${line}`).join('\n');
}

/** The full `--help` text: usage, details, every option with its bounds and default, exit codes. */
export function helpText(spec: CommandSpec): string {
  const rows: Array<[string, string]> = Object.entries(spec.options).map(([name, option]) => {
    const short = option.type === 'boolean' && option.short ? `-${option.short}, ` : '';
    const value = option.type === 'boolean' ? '' : ` ${option.value ?? defaultValueName(option)}`;
    return [`${short}--${name}${value}`, `${option.help}${optionFacts(option)}`];
  });
  rows.push(['-h, --help', 'show this help']);
  const width = Math.min(26, Math.max(...rows.map(([flag]) => flag.length)));
  const lines = [usageText(spec), ''];
  if (spec.details) lines.push(spec.details, '');
  lines.push('options:');
  for (const [flag, help] of rows)
    lines.push(
      flag.length > width ? `  ${flag}\n  ${' '.repeat(width)}  ${help}` : `  ${flag.padEnd(width)}  ${help}`,
    );
  lines.push('', `exit codes: ${spec.exitCodes}`);
  return lines.join('\n');
}

function defaultValueName(option: Exclude<OptionSpec, BooleanOption>): string {
  if (option.type === 'input' || option.type === 'output') return 'FILE';
  if (option.type === 'string' && option.choices) return option.choices.join('|');
  return option.type === 'integer' ? 'N' : option.type === 'number' ? 'X' : 'TEXT';
}

function optionFacts(option: OptionSpec): string {
  const facts: string[] = [];
  if (option.type === 'integer' || option.type === 'number') facts.push(bounds(option));
  if (option.type === 'input' && option.standardInput !== false) facts.push('- reads standard input');
  if (option.type === 'string' && option.multiple) facts.push('repeatable');
  if ('default' in option && option.default !== undefined) facts.push(`default ${option.default}`);
  return facts.length === 0 ? '' : ` (${facts.join('; ')})`;
}

/**
 * Runs one command: parses `argv` against `spec`, prints the help for `--help`, runs `body`
 * with the checked arguments, and turns a UsageError (from parsing or from `body`) into one line
 * on stderr, the usage and exit code 2. Any other error propagates to the top-level handler.
 */
export async function runCommandSpec<O extends OptionSpecs>(
  spec: CommandSpec<O>,
  argv: readonly string[],
  io: CommandIo,
  body: (parsed: ParsedCommand<O>) => Promise<number>,
): Promise<number> {
  try {
    const parsed = parseCommand(spec, argv);
    if (parsed === undefined) {
      io.out(helpText(spec));
      return 0;
    }
    return await body(parsed);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    io.err(`${spec.name}: ${error.message}\n${usageText(spec)}`);
    return 2;
  }
}

/** A command with subcommands (`audit verify`, `audit show`). */
export interface CommandGroup {
  readonly name: string;
  readonly summary: string;
  readonly commands: Readonly<
    Record<string, { readonly spec: CommandSpec; run(argv: string[], io: CommandIo): Promise<number> }>
  >;
}

/** The usage lines of every subcommand of `group`. */
export function groupUsage(group: CommandGroup): string {
  return synopsis(Object.values(group.commands).map(({ spec }) => spec));
}

/** Runs the subcommand named by `argv[0]`; `--help` lists them, a missing or unknown one exits 2. */
export async function runGroup(group: CommandGroup, argv: readonly string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === '--help' || name === '-h') {
    const list = Object.entries(group.commands).map(
      ([sub, { spec }]) => `  ${sub.padEnd(14)}  ${spec.summary}`,
    );
    io.out(
      `${group.summary}\n\n${groupUsage(group)}\n\ncommands:\n${list.join('\n')}\n\nx0tta6bl4 ${group.name} <command> --help shows a command's options.`,
    );
    return 0;
  }
  const command = name === undefined ? undefined : group.commands[name];
  if (command === undefined) {
    const known = Object.keys(group.commands).join(', ');
    io.err(
      `${group.name}: ${name === undefined ? 'missing command' : `unknown command "${name}"`} (one of ${known})\n${groupUsage(group)}`,
    );
    return 2;
  }
  return command.run(rest, io);
}
