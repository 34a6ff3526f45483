#!/usr/bin/env node
/**
 * The `x0tta6bl4` command. Each subcommand lives in its own module, loaded only when used, so
 * `x0tta6bl4 run` does not pay for the crypto or the load tester.
 */
const commands: Record<string, { summary: string; run: (argv: string[]) => Promise<number> }> = {
  run: {
    summary: 'run the self-healing loop over a simulated mesh and print the healing report',
    run: async (argv) => (await import('./run.ts')).runCommand(argv),
  },
  nab: {
    summary: 'run the default detector over a NAB-layout data folder; with --windows, score it',
    run: async (argv) => (await import('./nab.ts')).runNabCommand(argv),
  },
  rag: {
    summary: 'query the runbooks and past incidents, or index your own Markdown runbooks',
    run: async (argv) => (await import('./rag.ts')).runRagCommand(argv),
  },
  keys: {
    summary: 'the operator signing keys: keys generate --out k.json | export-public k.json | rotate k.json',
    run: async (argv) => (await import('./keys.ts')).runKeysCommand(argv),
  },
  audit: {
    summary:
      'verify or show a signed audit log: audit verify <store> --keys pub.json | --trust-embedded; audit show <store>',
    run: async (argv) => (await import('./audit.ts')).runAuditCommand(argv),
  },
  load: {
    summary:
      'load-test the engine (default target) or a built-in/HTTP target: presets, k6-style thresholds, JSON and HTML reports',
    run: async (argv) => {
      const [{ runLoadCommand }, { builtinTargets }, { engineTickTarget }] = await Promise.all([
        import('./load.ts'),
        import('../load/builtin-targets.ts'),
        import('../load/engine-target.ts'),
      ]);
      return runLoadCommand(argv, { default: await engineTickTarget(), ...builtinTargets() });
    },
  },
  readiness: {
    summary: "check a deployment's production readiness; write JSON and HTML reports",
    run: async (argv) => (await import('./readiness.ts')).runReadinessCommand(argv),
  },
};

const [name = 'help', ...argv] = process.argv.slice(2);
const command = commands[name];
if (!command) {
  const width = Math.max(...Object.keys(commands).map((c) => c.length));
  console.log('usage: x0tta6bl4 <command> [options]\n');
  for (const [key, { summary }] of Object.entries(commands))
    console.log(`  ${key.padEnd(width)}  ${summary}`);
  process.exitCode = name === 'help' || name === '--help' ? 0 : 2;
} else {
  process.exitCode = await command.run(argv);
}
