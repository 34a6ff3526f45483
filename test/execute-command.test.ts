/**
 * The command executor running real processes: placeholders land inside the one argument they
 * were written in, hostile node names reach the program literally (no shell), option-like and
 * NUL-holding values are refused, exit codes, stderr and timeouts map to outcomes.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { linkTarget, nodeTarget } from '../src/domain/targets.ts';
import { ArgumentError } from '../src/errors.ts';
import { CommandExecutor } from '../src/execute/command-executor.ts';
import type { ActionRequest } from '../src/execute/executor.ts';

const dir = mkdtempSync(join(tmpdir(), 'x0tta6bl4-command-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A script that writes its arguments, one per line (NUL-separated), to the file named first. */
const recorder = join(dir, 'record.sh');
writeFileSync(recorder, '#!/bin/sh\nout="$1"; shift\nprintf "%s\\0" "$@" > "$out"\n', { mode: 0o755 });
/** The arguments the recorder last wrote to `file`. */
const recorded = (file: string) => readFileSync(file, 'utf8').split('\0').slice(0, -1);

const request = (target: ActionRequest['target'], action = 'restart-service'): ActionRequest => ({
  id: 'run-act-7',
  incidentId: 'run-inc-3',
  action,
  target,
});

describe('CommandExecutor', () => {
  it('substitutes every placeholder inside its one argument', async () => {
    const out = join(dir, 'placeholders');
    const executor = new CommandExecutor({
      actions: {
        'restart-service': [recorder, out, '{action}', 'unit={service}.service', '{node}', '{incident}/{id}'],
        reroute: [recorder, out, '{link}', '--from={from}', '{to}'],
      },
    });
    expect(await executor.apply(request(nodeTarget('edge 1')))).toEqual({ ok: true });
    expect(recorded(out)).toEqual([
      'restart-service',
      'unit=edge 1.service',
      'edge 1',
      'run-inc-3/run-act-7',
    ]);
    expect(await executor.apply(request(linkTarget('a', 'b'), 'reroute'))).toEqual({ ok: true });
    expect(recorded(out)).toEqual(['a-b', '--from=a', 'b']);
  });

  it('passes injection attempts to the program literally, one argument each, with no shell', async () => {
    const out = join(dir, 'hostile');
    const executor = new CommandExecutor({ actions: { 'restart-service': [recorder, out, '{node}'] } });
    const canary = join(dir, 'pwned');
    for (const name of [
      'x; rm -rf /',
      '$(id)',
      '`id`',
      `a && touch ${canary}`,
      `a | tee ${canary}`,
      '\'quoted\' "twice"',
      'line\nbreak',
      '*',
    ]) {
      expect(await executor.apply(request(nodeTarget(name)))).toEqual({ ok: true });
      expect(recorded(out)).toEqual([name]);
    }
    expect(() => readFileSync(canary)).toThrow(/ENOENT/);
  });

  it('refuses a value that would begin an argument with "-" or hold a NUL, without running anything', async () => {
    const out = join(dir, 'options');
    const executor = new CommandExecutor({
      actions: {
        'restart-service': [recorder, out, '{node}'],
        'clear-cache': [recorder, out, '--unit={node}'],
      },
    });
    for (const name of ['--help', '-rf']) {
      const result = await executor.apply(request(nodeTarget(name)));
      expect(result.ok).toBe(false);
      expect(result.reason).toMatch(/would begin with "-"/);
      expect((await executor.dryRun(request(nodeTarget(name)))).ok).toBe(false);
    }
    expect((await executor.apply(request(nodeTarget('a\0b')))).reason).toMatch(/NUL/);
    expect(() => readFileSync(out)).toThrow(/ENOENT/);
    // Inside an argument the template itself starts with "-", a leading "-" of the value is harmless.
    expect(await executor.apply(request(nodeTarget('-x'), 'clear-cache'))).toEqual({ ok: true });
    expect(recorded(out)).toEqual(['--unit=-x']);
  });

  it('maps exit codes and stderr to the outcome', async () => {
    const executor = new CommandExecutor({
      actions: {
        'restart-service': ['/bin/echo', 'restarting', '{node}'],
        'scale-up': ['/bin/sh', '-c', 'echo "unit {node} not found" >&2; exit 3'],
        failover: ['/nonexistent/failover'],
      },
    });
    expect(await executor.apply(request(nodeTarget('n1')))).toEqual({ ok: true });
    expect(await executor.apply(request(nodeTarget('n1'), 'scale-up'))).toEqual({
      ok: false,
      reason: '/bin/sh -c "echo \\"unit n1 not found\\" >&2; exit 3" exited with code 3: unit n1 not found',
    });
    const missing = await executor.apply(request(nodeTarget('n1'), 'failover'));
    expect(missing.ok).toBe(false);
    expect(missing.reason).toMatch(/^\/nonexistent\/failover could not be started: .*ENOENT/);
  });

  it('kills a command at its timeout', async () => {
    const executor = new CommandExecutor({ actions: { 'restart-service': ['sleep', '5'] }, timeoutMs: 300 });
    const started = Date.now();
    expect(await executor.apply(request(nodeTarget('n1')))).toEqual({
      ok: false,
      reason: 'sleep 5 timed out after 300 ms and was killed',
    });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('also kills what the command started (its process group)', async () => {
    const pidFile = join(dir, 'grandchild');
    const executor = new CommandExecutor({
      actions: { 'restart-service': ['/bin/sh', '-c', `sleep 30 & echo $! > ${pidFile}; wait`] },
      timeoutMs: 300,
    });
    expect((await executor.apply(request(nodeTarget('n1')))).reason).toMatch(/timed out/);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Dead: gone, or a zombie its new parent (the container's init, maybe) has not reaped yet.
    let state = 'gone';
    try {
      state = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1][0];
    } catch {
      // No such process any more.
    }
    expect(['gone', 'Z']).toContain(state);
  });

  it('dry runs render and check the program without running it; an action with no template is not applicable', async () => {
    const out = join(dir, 'dry');
    const executor = new CommandExecutor({
      actions: {
        'restart-service': [recorder, out, '{node}'],
        'scale-up': ['echo', '{node}'],
        'scale-down': ['no-such-program-x0tta6bl4', '{node}'],
        reroute: [recorder, out, '{from}'],
      },
    });
    expect(await executor.dryRun(request(nodeTarget('n1')))).toEqual({ ok: true });
    expect(await executor.dryRun(request(nodeTarget('n1'), 'scale-up'))).toEqual({ ok: true });
    expect(await executor.dryRun(request(nodeTarget('n1'), 'scale-down'))).toEqual({
      ok: false,
      reason: 'program "no-such-program-x0tta6bl4" is not an executable file on PATH',
    });
    expect(() => readFileSync(out)).toThrow(/ENOENT/);
    expect(await executor.dryRun(request(nodeTarget('n1'), 'failover'))).toEqual({
      ok: false,
      reason: 'not applicable: no command is configured for "failover"',
    });
    expect(await executor.dryRun(request(nodeTarget('n1'), 'reroute'))).toEqual({
      ok: false,
      reason: 'not applicable: the command of reroute uses {from}, which a node target does not have',
    });
  });

  it('rolls back with the rollback template, and says when an action has none', async () => {
    const out = join(dir, 'rollback');
    const executor = new CommandExecutor({
      actions: { 'quarantine-node': ['/bin/true'], 'restart-service': ['/bin/true'] },
      rollback: { 'quarantine-node': [recorder, out, 'release', '{node}'] },
    });
    expect(await executor.rollback(request(nodeTarget('n4'), 'quarantine-node'))).toEqual({ ok: true });
    expect(recorded(out)).toEqual(['release', 'n4']);
    expect(await executor.rollback(request(nodeTarget('n4')))).toEqual({
      ok: false,
      reason: 'no rollback command is configured for "restart-service": nothing was undone',
    });
  });

  it('refuses bad templates with an ArgumentError naming them', () => {
    const bad = (actions: unknown, rollback?: unknown) => () =>
      new CommandExecutor({ actions, rollback } as ConstructorParameters<typeof CommandExecutor>[0]);
    expect(bad([])).toThrow(ArgumentError);
    expect(bad({ restart: [] })).toThrow(/actions\.restart: expected a non-empty array/);
    expect(bad({ restart: ['{node}'] })).toThrow(/actions\.restart\[0\]: the program must be a fixed name/);
    expect(bad({ restart: ['systemctl', 'restart', '{host}'] })).toThrow(
      /actions\.restart\[2\]: unknown placeholder \{host\}/,
    );
    expect(bad({ restart: ['x', 1] })).toThrow(/actions\.restart/);
    expect(bad({}, { restart: ['x', 'a\0b'] })).toThrow(/rollback\.restart\[1\]: holds a NUL/);
    expect(() => new CommandExecutor({ actions: {}, timeoutMs: -1 })).toThrow(/timeoutMs/);
  });
});
