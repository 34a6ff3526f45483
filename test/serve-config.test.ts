/**
 * The operator's files and the loop built from them: good topology and config files load (defaults
 * filled, odd node ids kept as written), bad ones give one problem per fault at its JSON path, any
 * JSON value gives a result or a ConfigError and nothing else (fast-check), `node:metric` splits
 * at the last colon, and createOperatorLoop runs ticks of rows and opens an incident on the node
 * whose telemetry goes wrong.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ArgumentError, ConfigError } from '../src/errors.ts';
import type { ActionRequest, ExecutionResult, Executor } from '../src/execute/executor.ts';
import type { Sample } from '../src/monitor/ingest.ts';
import { Rng } from '../src/random.ts';
import { SIM_METRICS } from '../src/run/mesh-loop.ts';
import {
  createOperatorLoop,
  DEFAULT_ENGINE_CONFIG,
  parseEngineConfig,
  parseTopology,
  splitSeriesArgument,
  topologyGraph,
} from '../src/serve/index.ts';

/** The problems a ConfigError lists, as `path: message` lines; fails the test when `run` does not throw one. */
function problemsOf(run: () => unknown): { path: string; message: string }[] {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return [...(error as ConfigError).problems];
  }
  throw new Error('expected a ConfigError');
}

const paths = (run: () => unknown) => problemsOf(run).map((p) => p.path);

/** Node ids as operators' systems spell them. */
const ODD = ['10.0.0.1:9100', 'db/primary', 'api@eu-west 1', 'svc:a/b@c d', '~0 tilde~1', '__proto__'];

describe('topology files', () => {
  it('load with absent lists empty, every field kept, routes set on the graph', () => {
    const t = parseTopology({
      $schema: '../schema/topology.schema.json',
      nodes: [{ id: 'gw', role: 'gateway', x: 0, y: 0 }, { id: 'r1' }, { id: 'r2' }],
      links: [
        ['gw', 'r1'],
        ['r1', 'r2'],
      ],
      gateways: ['gw'],
      routes: { r1: 'gw', r2: 'r1' },
    });
    expect(t).toEqual({
      nodes: [{ id: 'gw', role: 'gateway', x: 0, y: 0 }, { id: 'r1' }, { id: 'r2' }],
      links: [
        ['gw', 'r1'],
        ['r1', 'r2'],
      ],
      calls: [],
      gateways: ['gw'],
      routes: { r1: 'gw', r2: 'r1' },
    });
    const graph = topologyGraph(t);
    expect(graph.nodeIds).toEqual(['gw', 'r1', 'r2']);
    expect([...(graph.routes ?? [])]).toEqual([-1, 0, 1]);
    expect(graph.isGateway(0)).toBe(true);
    expect(topologyGraph(parseTopology({ nodes: [{ id: 'solo' }] })).routes).toBeUndefined();
  });

  it('keep node ids holding colons, slashes, @, spaces, ~ and __proto__ exactly as written', () => {
    const t = parseTopology({
      nodes: ODD.map((id) => ({ id })),
      links: ODD.slice(1).map((id, i) => [ODD[i], id]),
      calls: [[ODD[2], ODD[1]]],
      gateways: [ODD[0]],
      routes: JSON.parse(
        `{"__proto__": ${JSON.stringify(ODD[4])}, ${JSON.stringify(ODD[1])}: ${JSON.stringify(ODD[0])}}`,
      ),
    });
    expect(t.nodes.map((n) => n.id)).toEqual(ODD);
    expect(Object.keys(t.routes ?? {}).sort()).toEqual([ODD[1], '__proto__'].sort());
    expect(Object.getPrototypeOf(t.routes)).toBe(Object.prototype);
    const graph = topologyGraph(t);
    expect(graph.nodeIds).toEqual(ODD);
    expect(graph.routes?.[5]).toBe(4);
    expect(graph.routes?.[1]).toBe(0);
    // A bad route to an odd id is reported at its escaped pointer.
    expect(
      problemsOf(() => parseTopology({ nodes: [{ id: 'a/b' }, { id: 'c~d' }], routes: { 'a/b': 'c~d' } })),
    ).toEqual([
      { path: '/routes/a~1b', message: 'next hop "c~d" is not a neighbour of "a/b" (no link between them)' },
    ]);
  });

  it('give one problem per fault, each at its JSON path, several at once', () => {
    const problems = problemsOf(() =>
      parseTopology({
        nodes: [{ id: 'a' }, { id: 'b', colour: 'red' }, { id: 'a' }, { role: 'x' }, { id: 'c', x: 'left' }],
        links: [['a', 'b'], ['b', 'a'], ['a', 'a'], ['a', 'ghost'], ['a']],
        calls: [
          ['a', 'b'],
          ['b', 'a'],
          ['b', 'b'],
          ['phantom', 'a'],
        ],
        gateways: ['a', 'nowhere', 'a'],
        routes: { b: 'c', ghost: 'a', a: 'a', c: 'void' },
        colour: 1,
      }),
    );
    expect(problems.map((p) => p.path).sort()).toEqual(
      [
        '/colour',
        '/nodes/1/colour',
        '/nodes/2/id',
        '/nodes/3/id',
        '/nodes/4/x',
        '/links/1',
        '/links/2',
        '/links/3/1',
        '/links/4',
        '/calls/2',
        '/calls/3/0',
        '/gateways/1',
        '/gateways/2',
        '/routes/b',
        '/routes/ghost',
        '/routes/a',
        '/routes/c',
      ].sort(),
    );
    const at = (path: string) => problems.filter((p) => p.path === path).map((p) => p.message);
    expect(at('/nodes/2/id')).toEqual(['duplicate node id "a" (first at /nodes/0)']);
    expect(at('/nodes/3/id')).toEqual(['is required']);
    expect(at('/links/1')).toEqual(['duplicate of /links/0']);
    expect(at('/links/2')).toEqual(['links a node to itself ("a")']);
    expect(at('/links/3/1')).toEqual(['unknown node "ghost"']);
    expect(at('/colour')[0]).toMatch(
      /not a known field; known fields: nodes, links, calls, gateways, routes/,
    );
    expect(at('/routes/b')).toEqual(['next hop "c" is not a neighbour of "b" (no link between them)']);
    expect(at('/routes/c')).toEqual(['next hop: unknown node "void"']);
    // Calls are directed: a->b and b->a are two calls, not a duplicate.
    expect(at('/calls/1')).toEqual([]);
  });

  it('lists the problems in the error message, one per line after its path', () => {
    let message = '';
    try {
      parseTopology({ nodes: [], links: 3 }, 'mesh.json');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message.split('\n')).toEqual([
      'mesh.json: 2 problems',
      '  /nodes: must NOT have fewer than 1 items',
      '  /links: must be array',
    ]);
  });

  it('give a result or a ConfigError for any JSON value, never another exception', () => {
    const nodeId = fc.oneof(fc.constantFrom(...ODD, 'a', 'b'), fc.string());
    const topologyLike = fc.record(
      {
        nodes: fc.array(fc.oneof(fc.record({ id: nodeId }, { requiredKeys: [] }), fc.jsonValue()), {
          maxLength: 6,
        }),
        links: fc.array(fc.oneof(fc.tuple(nodeId, nodeId), fc.jsonValue()), { maxLength: 6 }),
        calls: fc.array(fc.tuple(nodeId, nodeId), { maxLength: 4 }),
        gateways: fc.array(nodeId, { maxLength: 3 }),
        routes: fc.dictionary(nodeId, fc.oneof(nodeId, fc.jsonValue()), { maxKeys: 4 }),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), topologyLike), (value) => {
        let t: ReturnType<typeof parseTopology>;
        try {
          t = parseTopology(value);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as ConfigError).problems.length).toBeGreaterThan(0);
          return;
        }
        // What parses builds a graph.
        expect(topologyGraph(t).size).toBe(t.nodes.length);
      }),
      { numRuns: 2000 },
    );
  });

  it('are described by the published schema (every property has a description)', () => {
    for (const name of ['topology', 'config']) {
      const schema = JSON.parse(
        readFileSync(new URL(`../schema/${name}.schema.json`, import.meta.url), 'utf8'),
      );
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      const undescribed: string[] = [];
      const walk = (node: unknown, path: string) => {
        if (typeof node !== 'object' || node === null) return;
        const properties = (node as { properties?: Record<string, unknown> }).properties ?? {};
        for (const [key, sub] of Object.entries(properties)) {
          // `true` (any value) stands for a field described in the schema around it.
          if (sub === true) continue;
          const s = sub as { description?: string; $ref?: string };
          if (!s.description && !s.$ref) undescribed.push(`${path}/${key}`);
        }
        // An `if` only picks its `then`; the fields it tests are described where they are defined.
        for (const [key, sub] of Object.entries(node)) if (key !== 'if') walk(sub, `${path}/${key}`);
      };
      walk(schema, '');
      expect(undescribed, name).toEqual([]);
    }
  });
});

describe('engine config files', () => {
  it('default to the simulator metrics and roles, a plan-only executor and the shipped limits', () => {
    const config = parseEngineConfig({});
    expect(config).toEqual(DEFAULT_ENGINE_CONFIG);
    expect(config.metrics.map((m) => m.name)).toEqual(SIM_METRICS.map((m) => m.name));
    expect(config.metrics.find((m) => m.name === 'cpu')).toEqual({
      name: 'cpu',
      min: 0,
      max: 100,
      harmful: 'up',
      roles: ['local', 'load'],
    });
    expect(config).toMatchObject({
      tickSeconds: 15,
      latenessSeconds: 15,
      lossMetric: 'packetLoss',
      linkMetric: 'linkQuality',
      throughputMetric: 'throughput',
      executor: { kind: 'plan-only' },
      dryRun: false,
      remoteWrite: { nodeLabel: 'instance' },
      otlp: { nodeAttributes: ['service.instance.id', 'host.name', 'service.name'] },
      limits: { maxBodyBytes: 16 * 1024 * 1024, queueSamples: 1_000_000, requestTimeoutMs: 10_000 },
    });
    expect(config.threshold).toBeGreaterThan(0);
    expect(config.scrape).toBeUndefined();
    // Each parse is the caller's own: changing one leaves the defaults as they are.
    config.metrics.pop();
    expect(parseEngineConfig({}).metrics).toHaveLength(8);
  });

  it('load a full file, filling what it leaves out', () => {
    const config = parseEngineConfig({
      tickSeconds: 300,
      metrics: [
        { name: 'up', min: 0, max: 1, harmful: 'down' },
        { name: 'cpu_seconds', min: 0, roles: ['local', 'load'] },
        { name: 'rx_errors', harmful: 'up' },
      ],
      lossMetric: 'rx_errors',
      threshold: 0.9,
      loop: { confirmTicks: 3, window: 512 },
      rails: { rateLimit: 2, quorum: 0.7 },
      executor: {
        kind: 'command',
        actions: { 'restart-service': ['systemctl', 'restart', '{node}'] },
        rollback: { 'restart-service': ['true'] },
        timeoutMs: 5000,
      },
      dryRun: true,
      alerts: {
        alertmanager: { url: 'http://127.0.0.1:9093' },
        webhook: { url: 'https://hooks.example/x', secret: 's' },
      },
      scrape: { targets: [{ url: 'http://127.0.0.1:9100/metrics', node: 'host a' }] },
      remoteWrite: { nodeLabel: 'host' },
      limits: { maxBodyBytes: 1024 },
    });
    expect(config).toMatchObject({
      tickSeconds: 300,
      latenessSeconds: 300,
      lossMetric: 'rx_errors',
      threshold: 0.9,
      loop: { confirmTicks: 3, window: 512 },
      rails: { rateLimit: 2, quorum: 0.7 },
      dryRun: true,
      scrape: {
        intervalSeconds: 15,
        nodeLabel: 'instance',
        targets: [{ url: 'http://127.0.0.1:9100/metrics', node: 'host a' }],
      },
      remoteWrite: { nodeLabel: 'host' },
      limits: { maxBodyBytes: 1024, queueSamples: 1_000_000, requestTimeoutMs: 10_000 },
    });
    // With metrics of its own, the simulator's role metrics are not assumed.
    expect(config.linkMetric).toBeUndefined();
    expect(config.throughputMetric).toBeUndefined();
  });

  it('give one problem per fault, each at its JSON path, several at once', () => {
    const problems = problemsOf(() =>
      parseEngineConfig({
        tickSeconds: 0,
        metrics: [
          { name: 'cpu', min: 10, max: 1 },
          { name: 'cpu', roles: ['local', 'bogus'] },
          { name: 'mem', harmful: 'sideways' },
        ],
        lossMetric: 'loss',
        linkMetric: 'mem',
        loop: { confirmTicks: 1.5, bogus: 1 },
        rails: { backoffBase: 10, backoffMax: 5 },
        executor: {
          kind: 'command',
          actions: { 'restart-service': [], 'make-coffee': ['brew'], 'clear-cache': ['', 'x'] },
          rollback: { reroute: ['ip', 'route'] },
        },
        alerts: { alertmanager: { url: 'not a url' }, webhook: { url: 'ftp://x/y' } },
        scrape: { targets: [{ url: 'http://ok/metrics' }, { node: 'n' }] },
        limits: { maxBodyBytes: -1 },
      }),
    );
    const byPath = Object.fromEntries(problems.map((p) => [p.path, p.message]));
    expect(problems).toHaveLength(17);
    expect(Object.keys(byPath)).toHaveLength(17);
    expect(byPath).toMatchObject({
      '/tickSeconds': 'must be > 0',
      '/metrics/0/max': '1 is below min 10',
      '/metrics/1/name': 'duplicate metric "cpu" (first at /metrics/0)',
      '/metrics/1/roles/1': 'must be one of "local", "load", "demand"',
      '/metrics/2/harmful': 'must be one of "up", "down"',
      '/loop/confirmTicks': 'must be integer',
      '/rails/backoffMax': '5 is below backoffBase 10',
      '/executor/actions/restart-service': 'must NOT have fewer than 1 items',
      '/executor/actions/make-coffee': '"make-coffee" is not an engine action',
      '/executor/actions/clear-cache/0': 'the program is empty',
      '/executor/rollback/reroute': 'a rollback of reroute, which has no command in actions',
      '/alerts/alertmanager/url': 'not a URL: "not a url"',
      '/alerts/webhook/url': 'expected an http or https URL, got ftp:',
      '/scrape/targets/1/url': 'is required',
      '/limits/maxBodyBytes': 'must be >= 1',
    });
    expect(byPath['/loop/bogus']).toMatch(/^is not a known field; known fields: confirmTicks/);
    expect(byPath['/lossMetric']).toBe('names no metric of the config: "loss" (metrics: cpu, mem)');
  });

  it('check the fields of the executor kind given, and role names against the default metrics', () => {
    expect(problemsOf(() => parseEngineConfig({ executor: { kind: 'webhook', timeoutMs: 0 } }))).toEqual([
      { path: '/executor/url', message: 'is required' },
      { path: '/executor/timeoutMs', message: 'must be >= 1' },
    ]);
    expect(paths(() => parseEngineConfig({ executor: { kind: 'plan-only', url: 'http://x' } }))).toEqual([
      '/executor/url',
    ]);
    expect(paths(() => parseEngineConfig({ executor: { kind: 'teleport' } }))).toEqual(['/executor/kind']);
    expect(paths(() => parseEngineConfig({ executor: {} }))).toEqual(['/executor/kind']);
    expect(paths(() => parseEngineConfig({ executor: { kind: 'command', actions: {} } }))).toEqual([
      '/executor/actions',
    ]);
    expect(paths(() => parseEngineConfig({ throughputMetric: 'bandwidth' }))).toEqual(['/throughputMetric']);
    expect(parseEngineConfig({ lossMetric: 'errorRate' }).lossMetric).toBe('errorRate');
    expect(paths(() => parseEngineConfig([]))).toEqual(['']);
  });

  it('give a result or a ConfigError for any JSON value, never another exception', () => {
    const configLike = fc.record(
      {
        tickSeconds: fc.oneof(fc.double(), fc.jsonValue()),
        metrics: fc.array(
          fc.record(
            {
              name: fc.string(),
              min: fc.double(),
              max: fc.double(),
              harmful: fc.constantFrom('up', 'down', 'x'),
              roles: fc.array(fc.constantFrom('local', 'load', 'demand', 'y')),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 4 },
        ),
        lossMetric: fc.oneof(fc.constantFrom('cpu', 'packetLoss'), fc.string()),
        executor: fc.oneof(
          fc.record(
            { kind: fc.constantFrom('plan-only', 'webhook', 'command'), url: fc.string() },
            { requiredKeys: [] },
          ),
          fc.record({
            kind: fc.constant('command'),
            actions: fc.dictionary(
              fc.constantFrom('reroute', 'restart-service', '__proto__', 'x'),
              fc.array(fc.string()),
            ),
            rollback: fc.dictionary(fc.string(), fc.jsonValue()),
          }),
        ),
        alerts: fc.record({ alertmanager: fc.record({ url: fc.oneof(fc.webUrl(), fc.string()) }) }),
        scrape: fc.record({ targets: fc.array(fc.record({ url: fc.oneof(fc.webUrl(), fc.string()) })) }),
        rails: fc.dictionary(fc.string(), fc.jsonValue()),
        limits: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), configLike), (value) => {
        try {
          const config = parseEngineConfig(value);
          expect(config.metrics.length).toBeGreaterThan(0);
        } catch (error) {
          expect(error).toBeInstanceOf(ConfigError);
          expect((error as ConfigError).problems.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('splitSeriesArgument', () => {
  it('splits at the last colon, since node ids may hold colons', () => {
    expect(splitSeriesArgument('10.0.0.1:9100:cpu')).toEqual({ node: '10.0.0.1:9100', metric: 'cpu' });
    expect(splitSeriesArgument('api@eu west/1:latencyP95')).toEqual({
      node: 'api@eu west/1',
      metric: 'latencyP95',
    });
    for (const bad of ['cpu', ':cpu', 'node:', ''])
      expect(() => splitSeriesArgument(bad, '--target')).toThrow(ArgumentError);
    expect(() => splitSeriesArgument('x')).toThrow(/^--target: expected node:metric, got "x"$/);
  });
});

/** An executor that records what it is asked and succeeds. */
class RecordingExecutor implements Executor {
  readonly calls: string[] = [];
  #answer(kind: string, request: ActionRequest): Promise<ExecutionResult> {
    this.calls.push(`${kind} ${request.action}`);
    return Promise.resolve({ ok: true });
  }
  dryRun(request: ActionRequest) {
    return this.#answer('dryRun', request);
  }
  apply(request: ActionRequest) {
    return this.#answer('apply', request);
  }
  rollback(request: ActionRequest) {
    return this.#answer('rollback', request);
  }
}

describe('createOperatorLoop', () => {
  const topology = parseTopology({
    nodes: [{ id: 'lb:443' }, { id: 'api@eu 1' }, { id: 'api@eu 2' }, { id: 'db/primary' }],
    links: [
      ['lb:443', 'api@eu 1'],
      ['lb:443', 'api@eu 2'],
      ['api@eu 1', 'db/primary'],
      ['api@eu 2', 'db/primary'],
    ],
    calls: [
      ['lb:443', 'api@eu 1'],
      ['lb:443', 'api@eu 2'],
      ['api@eu 1', 'db/primary'],
      ['api@eu 2', 'db/primary'],
    ],
    gateways: ['lb:443'],
  });
  // One-second ticks: the loop's counts are compared with timestamp differences, so they are seconds for now.
  const config = parseEngineConfig({
    tickSeconds: 1,
    metrics: [
      { name: 'cpu', min: 0, max: 100, harmful: 'up', roles: ['local', 'load'] },
      { name: 'errors', min: 0, harmful: 'up', roles: ['local'] },
      { name: 'latency', min: 0, harmful: 'up' },
    ],
    loop: { confirmTicks: 2 },
  });

  /** One tick's rows: every node's metrics, each node at its own time within the tick, `broken`'s errors and latency high. */
  function rows(rng: Rng, ts: number, broken?: string): Sample[] {
    return topology.nodes.flatMap(({ id }, i) => [
      { source: id, metric: 'cpu', ts: ts + i / 8, value: 40 + rng.range(-2, 2) },
      { source: id, metric: 'errors', ts: ts + i / 8, value: (id === broken ? 40 : 1) + rng.range(0, 0.5) },
      { source: id, metric: 'latency', ts: ts + i / 8, value: (id === broken ? 900 : 50) + rng.range(-3, 3) },
    ]);
  }

  it('runs ticks of rows with odd node ids and diagnoses the node that goes wrong', async () => {
    const executor = new RecordingExecutor();
    const operator = await createOperatorLoop({ topology, config, executor, dryRun: true });
    try {
      expect(operator.graph.nodeIds).toEqual(topology.nodes.map((n) => n.id));
      const opened: number[] = [];
      const causes: string[] = [];
      operator.loop.on('incident-opened', (e) => opened.push(e.ts));
      operator.loop.on('diagnosis', (e) => causes.push(JSON.stringify(e.incident.rootCauses[0]?.target)));
      const rng = new Rng(7);
      const start = 1_700_000_000;
      for (let k = 0; k < 150; k++) await operator.loop.tick(start + k, rows(rng, start + k));
      expect(operator.loop.stats()).toMatchObject({
        ticks: 150,
        samplesAccepted: 150 * 12,
        samplesRejected: 0,
      });
      expect(opened).toEqual([]);
      for (let k = 150; k < 170; k++) await operator.loop.tick(start + k, rows(rng, start + k, 'db/primary'));
      expect(opened).toHaveLength(1);
      expect(causes[0]).toBe(JSON.stringify({ node: 'db/primary' }));
      // Dry run: the executor is only asked what it would do.
      expect(executor.calls.length).toBeGreaterThan(0);
      expect(executor.calls.every((c) => c.startsWith('dryRun '))).toBe(true);
    } finally {
      await operator.close();
    }
    await expect(operator.loop.tick(2_000_000_000, [])).rejects.toThrow(/closed/);
  }, 60_000);

  it('plans only the actions a command executor has commands for', async () => {
    // Without the restriction the planner's first choice for this fault is rollback-config.
    const run = async (executorConfig?: object) => {
      const executor = new RecordingExecutor();
      const operator = await createOperatorLoop({
        topology,
        config: parseEngineConfig({ ...config, ...(executorConfig ? { executor: executorConfig } : {}) }),
        executor,
      });
      try {
        const rng = new Rng(3);
        const start = 1_700_000_000;
        for (let k = 0; k < 170; k++)
          await operator.loop.tick(start + k, rows(rng, start + k, k >= 150 ? 'db/primary' : undefined));
      } finally {
        await operator.close();
      }
      return executor.calls;
    };
    expect((await run())[0]).toBe('apply rollback-config');
    const calls = await run({ kind: 'command', actions: { failover: ['promote-standby', '{node}'] } });
    expect(calls[0]).toBe('apply failover');
    expect(calls.every((c) => c.endsWith(' failover'))).toBe(true);
  }, 60_000);
});
