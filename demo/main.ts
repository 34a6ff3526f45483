/**
 * The playground's page: starts the engine's worker, sends the controls' commands to it, and
 * draws what it reports once per animation frame. Nothing of the engine runs on this thread.
 */
import * as Comlink from 'comlink';
import { FAULT_SCOPE, type FaultKind } from '../src/domain/faults.ts';
import { parseTarget, printTarget, type Target, targetScope } from '../src/domain/targets.ts';
import { spawnWorker } from '../src/runtime/spawn.ts';
import { NodeCharts } from './charts.ts';
import type { PlaygroundEngine } from './engine.ts';
import { MeshView } from './mesh-view.ts';
import type { Counters, MeshInfo, Storage, Story, View } from './protocol.ts';
import { AuditPanel } from './audit-panel.ts';
import { RagBox } from './rag-box.ts';
import { el, RunbookReader, Timeline } from './timeline.ts';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;

/** How often the lists and charts are refreshed, ms: often enough to follow, rarely enough to keep frames smooth. */
const LISTS_EVERY_MS = 250;

const controls = {
  form: $<HTMLFormElement>('controls'),
  seed: $<HTMLInputElement>('seed'),
  nodes: $<HTMLInputElement>('nodes'),
  speed: $<HTMLSelectElement>('speed'),
  pause: $<HTMLButtonElement>('pause'),
  step: $<HTMLButtonElement>('step'),
  clock: $<HTMLOutputElement>('clock'),
};
const inject = {
  form: $<HTMLFormElement>('inject'),
  target: $<HTMLInputElement>('target'),
  targets: $<HTMLDataListElement>('target-ids'),
  kind: $<HTMLSelectElement>('kind'),
  severity: $<HTMLSelectElement>('severity'),
  button: $<HTMLButtonElement>('inject-button'),
  status: $<HTMLOutputElement>('inject-status'),
};

const worker = spawnWorker(
  {
    url: new URL('./engine.worker.ts', import.meta.url),
    create: () => new Worker(new URL('./engine.worker.ts', import.meta.url), { type: 'module' }),
  },
  60_000,
  (error) => fail(error),
);
const engine = Comlink.wrap<PlaygroundEngine>(await worker.ready);

let info: MeshInfo | undefined;
let charts: NodeCharts | undefined;
let selected: Target | undefined;
let lastView: View | undefined;
let listsVersion = -1;
let listsAt = 0;
let inFlight = false;
/** Whether the next start begins paused (set by `?paused`, then by the Pause button). */
let startPaused = false;
/** Incidents of earlier meshes and visits, read back from the store at each start. */
let past: Story[] = [];

const meshView = new MeshView($<HTMLCanvasElement>('mesh'), $('tooltip'), pick);
const reader = new RunbookReader($<HTMLDialogElement>('runbook'), (id) => engine.runbook(id));
const timeline = new Timeline(
  {
    faultRows: $('faults').querySelector('tbody')!,
    faultsEmpty: $('faults-empty'),
    stories: $('stories'),
    storiesEmpty: $('incidents-empty'),
  },
  reader,
);
new RagBox($('rag'), (query) => engine.search(query), reader);
const auditPanel = new AuditPanel($('audit'), {
  state: () => engine.audit(),
  verify: () => engine.verify(),
  tamper: (position) => engine.tamper(position),
});

/** Starts a mesh with the form's seed and size. */
async function start(): Promise<void> {
  const seed = Number(controls.seed.value);
  const nodes = Number(controls.nodes.value);
  setClock('starting the engine...');
  info = undefined;
  try {
    info = await engine.start({ seed, nodes, speed: speedValue(), paused: startPaused });
  } catch (error) {
    setClock(`could not start: ${(error as Error).message}`);
    return;
  }
  lastView = undefined;
  listsVersion = -1;
  selected = undefined;
  showLearning(info.learntRates);
  meshView.setMesh(info);
  charts?.clear();
  charts = new NodeCharts($('charts'), info.metrics, info.threshold);
  $('node-hint').hidden = false;
  inject.targets.replaceChildren(...info.nodeIds.map((id) => el('option', { value: id })));
  listKinds();
  controls.pause.disabled = false;
  controls.pause.setAttribute('aria-pressed', String(startPaused));
  controls.pause.textContent = startPaused ? 'Resume' : 'Pause';
  controls.step.disabled = true;
  timeline.showFaults([]);
  past = await engine.history();
  timeline.showStories(past);
}

function speedValue(): number {
  return controls.speed.value === 'Infinity' ? Number.POSITIVE_INFINITY : Number(controls.speed.value);
}

/** Lists the nine kinds, those that strike a node and then those that strike a link. */
function listKinds(): void {
  if (!info) return;
  const group = (label: string, kinds: readonly string[]) =>
    el('optgroup', { label }, ...kinds.map((k) => el('option', { value: k }, k)));
  inject.kind.replaceChildren(group('Node faults', info.nodeKinds), group('Link faults', info.linkKinds));
}

/** A target of another type than the chosen kind's: choose the first kind that strikes its type. */
function fitKind(scope: 'node' | 'link'): void {
  if (!info || FAULT_SCOPE[inject.kind.value as FaultKind] === scope) return;
  inject.kind.value = (scope === 'node' ? info.nodeKinds : info.linkKinds)[0];
}

/** A node or link picked on the mesh: it becomes the injection target and, for a node, the charted one. */
function pick(target: Target): void {
  selected = target;
  meshView.select(target);
  inject.target.value = printTarget(target);
  fitKind(targetScope(target));
  if (target.node !== undefined) {
    $('node-hint').hidden = true;
    void refreshCharts(true);
  }
}

/** Reads the form's target: a node id, or a link `a-b` between two nodes. */
function readTarget(): Target {
  const ids = new Set(info?.nodeIds ?? []);
  return parseTarget(inject.target.value.trim(), (id) => ids.has(id), 'target');
}

async function injectFault(): Promise<void> {
  if (!info) return;
  const status = inject.status;
  try {
    const target = readTarget();
    const kind = inject.kind.value as FaultKind;
    if (FAULT_SCOPE[kind] !== targetScope(target))
      throw new Error(`${kind} strikes a ${FAULT_SCOPE[kind]}: pick a ${FAULT_SCOPE[kind]} as the target`);
    const fault = await engine.inject(kind, target, Number(inject.severity.value));
    status.dataset.state = 'ok';
    status.textContent = `Injected ${fault.kind} at ${printTarget(fault.target)} from t=${fault.injectedAt}.`;
    listsVersion = -1;
  } catch (error) {
    status.dataset.state = 'error';
    status.textContent = `Not injected: ${(error as Error).message}`;
  }
}

/** Each animation frame: ask the worker for the latest view (one request at a time) and draw it. */
function frame(): void {
  requestAnimationFrame(frame);
  if (!info || inFlight) return;
  inFlight = true;
  engine
    .view()
    .then((view) => {
      inFlight = false;
      if (!info) return;
      lastView = view;
      meshView.draw(view);
      showStatus(view);
      const now = performance.now();
      if (now - listsAt >= LISTS_EVERY_MS) {
        listsAt = now;
        void refreshLists(view.version);
        void refreshCharts(false);
        void auditPanel.refresh();
      }
    })
    .catch((error: Error) => {
      inFlight = false;
      // A view asked for while a new mesh starts finds none: the next frame asks again.
      if (!/no mesh is running/.test(error.message)) fail(error);
    });
}

async function refreshLists(version: number): Promise<void> {
  if (version === listsVersion) return;
  listsVersion = version;
  const [faults, stories] = await Promise.all([engine.faults(), engine.stories()]);
  timeline.showFaults(faults);
  timeline.showStories([...stories, ...past]);
}

async function refreshCharts(now: boolean): Promise<void> {
  if (!charts || selected?.node === undefined) return;
  if (!now && lastView?.phase === 'paused' && charts.node === selected.node) return;
  charts.show(await engine.series(selected.node));
}

let shownCounters = '';
function showStatus(view: View): void {
  const pace = view.ticksPerSecond >= 10 ? Math.round(view.ticksPerSecond) : view.ticksPerSecond.toFixed(1);
  const phase =
    view.phase === 'warming-up' ? `learning the mesh's normal until t=${info!.warmupTicks}` : view.phase;
  setClock(`t=${view.tick} s · ${phase}${view.phase === 'paused' ? '' : ` · ${pace}x real time`}`);
  controls.clock.dataset.phase = view.phase;
  controls.clock.dataset.tick = String(view.tick);
  controls.clock.dataset.pace = String(Math.round(view.ticksPerSecond));
  inject.button.disabled = view.phase === 'warming-up';
  controls.step.disabled = view.phase !== 'paused';
  const text = JSON.stringify(view.counters);
  if (text !== shownCounters) {
    shownCounters = text;
    showCounters(view.counters);
  }
}

function showCounters(c: Counters): void {
  const seconds = (v: number | null) => (v === null ? '–' : `${v} s`);
  const items: Array<[string, string, string]> = [
    ['injected', 'Faults injected', String(c.injected)],
    ['detected', 'Detected', `${c.detected} of ${c.injected}`],
    ['healed', 'Healed', `${c.healed} of ${c.injected}`],
    ['escalated', 'Escalated', String(c.escalated)],
    ['ttd', 'Median time to detect', seconds(c.ttdMedian)],
    ['ttr', 'Median time to recover', seconds(c.ttrMedian)],
    ['false-alarms', 'False alarms', String(c.falseAlarms)],
    ['actions', 'Actions taken', String(c.actions)],
  ];
  $('counters').replaceChildren(
    ...items.map(([key, label, value]) =>
      el('div', { 'data-counter': key }, el('dt', {}, label), el('dd', {}, value)),
    ),
  );
}

function setClock(text: string): void {
  if (controls.clock.textContent !== text) controls.clock.textContent = text;
}

function fail(error: Error): void {
  setClock(`the engine stopped: ${error.message}`);
  console.error(error);
}

/** Says (on the storage note's tooltip, leaving the layout as it is) how many learnt success rates the planner started from. */
function showLearning(rates: number): void {
  const note = $('storage-note');
  note.dataset.learntRates = String(rates);
  note.title =
    rates === 0
      ? 'The planner starts from its priors.'
      : `The planner starts from ${rates} learnt success rate${rates === 1 ? '' : 's'} (of which remedy heals what).`;
}

/** Opens the knowledge store (`?store=memory` keeps it in memory) and says what it holds. */
async function openStorage(storage: Storage): Promise<void> {
  const held = await engine.openStorage(storage);
  $('storage-note').textContent =
    storage === 'memory'
      ? 'Knowledge kept in memory: gone on reload.'
      : `Knowledge kept in this browser (IndexedDB): ${held} incident${held === 1 ? '' : 's'} so far.`;
}

$('reset').addEventListener('click', async () => {
  $('storage-note').textContent = 'forgetting...';
  info = undefined;
  await engine.reset();
  await openStorage(storage);
  await start();
});

controls.form.addEventListener('submit', (event) => {
  event.preventDefault();
  void start();
});
controls.speed.addEventListener('change', () => {
  if (info) void engine.setSpeed(speedValue());
});
controls.pause.addEventListener('click', () => {
  if (!info) return;
  const pausing = controls.pause.getAttribute('aria-pressed') !== 'true';
  startPaused = pausing;
  controls.pause.setAttribute('aria-pressed', String(pausing));
  controls.pause.textContent = pausing ? 'Resume' : 'Pause';
  void (pausing ? engine.pause() : engine.resume());
});
controls.step.addEventListener('click', async () => {
  await engine.step();
  void refreshCharts(true);
});
inject.form.addEventListener('submit', (event) => {
  event.preventDefault();
  void injectFault();
});

/** For tools and tests: where a node or link is drawn on the page. */
Object.assign(globalThis, { playground: { positionOf: (target: Target) => meshView.positionOf(target) } });

// A link can carry the settings: ?seed=3&nodes=60&speed=Infinity.
const query = new URLSearchParams(location.search);
for (const name of ['seed', 'nodes', 'speed'] as const) {
  const value = query.get(name);
  if (value !== null) controls[name].value = value;
}
startPaused = query.has('paused');
const storage: Storage = query.get('store') === 'memory' ? 'memory' : 'indexeddb';
await openStorage(storage);
requestAnimationFrame(frame);
await start();
