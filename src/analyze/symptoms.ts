/**
 * Symptoms in the terms an operator (and a runbook) uses: which metric moved, which way, in
 * what shape, and whether at the suspected cause or around it. They are what the diagnosis
 * query is written from.
 */
import type { SeriesWindows } from '../monitor/ring.ts';
import type { Band } from './recovery.ts';

/** How a metric moved since the incident began. */
export type Shape = 'step' | 'trend' | 'oscillating' | 'silent';

/** How one metric of one node moved since its incident began. */
export interface Symptom {
  /** The node's id. */
  node: string;
  /** The metric's name. */
  metric: string;
  /** 'down';|Whether it moved above or below its normal range. */
  direction: 'up' | 'down';
  /** How it moved: a step, a trend, an oscillation, or silence. */
  shape: Shape;
  /** Whether the node is the top suspected cause (or an end of the suspected link). */
  atCause: boolean;
  /** Deviation from the baseline in band half-widths. */
  strength: number;
  /** The value furthest from the baseline (how far it went in the metric's own units: total loss is 1). */
  worst: number;
}

/** Describes series `s` since `onset` against its baseline band; undefined when it has not moved. */
export function describeSeries(
  windows: SeriesWindows,
  s: number,
  band: Band,
  onset: number,
): Pick<Symptom, 'direction' | 'shape' | 'strength' | 'worst'> | undefined {
  const { ts, values } = windows.last(s);
  const since: number[] = [];
  for (let i = 0; i < ts.length; i++) if (ts[i] >= onset) since.push(values[i]);
  if (since.length === 0) return undefined;
  const deviations = since.map((v) => (v - band.center) / band.halfWidth);
  const mean = deviations.reduce((a, b) => a + b, 0) / deviations.length;
  const peak = deviations.reduce((a, b) => (Math.abs(b) > Math.abs(a) ? b : a), 0);
  if (Math.abs(peak) < 1) return undefined;
  const direction = (Math.abs(mean) >= 0.5 ? mean : peak) > 0 ? 'up' : 'down';
  return {
    direction,
    shape: shapeOf(deviations),
    strength: Math.abs(peak),
    worst: band.center + peak * band.halfWidth,
  };
}

function shapeOf(deviations: number[]): Shape {
  // Oscillating: the series keeps crossing in and out of its band.
  let crossings = 0;
  for (let i = 1; i < deviations.length; i++) {
    if (Math.abs(deviations[i]) > 1 !== Math.abs(deviations[i - 1]) > 1) crossings++;
  }
  if (deviations.length >= 6 && crossings >= deviations.length / 3) return 'oscillating';
  // Trend: deviation keeps growing with time (rank correlation with time above 0.8).
  if (
    deviations.length >= 6 &&
    spearman(deviations) > 0.8 &&
    Math.abs(deviations.at(-1)!) > Math.abs(deviations[0]) * 1.5
  ) {
    return 'trend';
  }
  return 'step';
}

/** Spearman rank correlation of a sequence with its index, sign-adjusted to the sequence's direction. */
function spearman(xs: number[]): number {
  const n = xs.length;
  const signed = xs.at(-1)! >= xs[0] ? xs : xs.map((x) => -x);
  const order = signed.map((x, i) => ({ x, i })).sort((a, b) => a.x - b.x);
  let d2 = 0;
  order.forEach(({ i }, rank) => (d2 += (rank - i) ** 2));
  return 1 - (6 * d2) / (n * (n * n - 1));
}

/** Labels for describing metrics in operator language. */
const WORDS: Record<string, { up: string; down: string }> = {
  cpu: { up: 'CPU usage high, processor saturated', down: 'CPU usage dropped' },
  memory: { up: 'memory usage growing, RAM filling up', down: 'memory usage dropped' },
  packetLoss: { up: 'packet loss rising, packets dropped', down: 'packet loss fell' },
  latencyP95: { up: 'p95 latency up, responses slow', down: 'latency dropped' },
  throughput: { up: 'throughput surge, traffic volume up', down: 'throughput collapsed, traffic dropped' },
  errorRate: { up: 'error rate up, requests failing', down: 'error rate fell' },
  queueDepth: { up: 'queue depth growing, buffers backing up', down: 'queues drained' },
  linkQuality: { up: 'link quality improved', down: 'link quality degraded, signal weak' },
};

const SHAPES: Record<Shape, string> = {
  step: 'suddenly',
  trend: 'steadily over time',
  oscillating: 'up and down repeatedly, flapping',
  silent: '',
};

/**
 * Symptom patterns that an operator names by what they look like, not metric by metric, in the
 * words runbooks use for them. Each test looks only at the telemetry symptoms and at where they
 * are (at the suspected cause, on its neighbours, across a region).
 */
const PATTERNS: ReadonlyArray<{ when: (v: SymptomView) => boolean; words: string }> = [
  {
    when: (v) =>
      v.anywhere('linkQuality', 'down', 'oscillating') || v.anywhere('packetLoss', 'up', 'oscillating'),
    words:
      'link flapping up and down, interface toggling, bursts of loss each time the link drops and then it looks fine again',
  },
  {
    // A hop that carries nothing at all while its neighbours' links look weak: the link is down
    // outright, not degraded (a degraded link still carries some traffic). Early in a flap this
    // is all there is to see; it has not come back yet.
    when: (v) =>
      !v.silent &&
      !v.cut &&
      v.total('packetLoss') &&
      v.nodesWith('linkQuality', 'down') > 0 &&
      v.nodesWith('linkQuality', 'down') < 3,
    words: 'the link goes down completely, 100 percent loss on one hop, then it is back',
  },
  {
    when: (v) => v.cut || (v.nodesWith('linkQuality', 'down') >= 3 && !v.silent),
    words:
      'a group of nodes cut off from the rest of the mesh, site unreachable from the core, all paths to them through one failed link',
  },
  {
    // Degraded, not down: some of the hop's traffic still gets through.
    when: (v) =>
      v.causeIsLink &&
      !v.cut &&
      !v.total('packetLoss') &&
      (v.atCause('linkQuality', 'down') || v.atCause('packetLoss', 'up')) &&
      v.nodesWith('linkQuality', 'down') < 3,
    words: 'packet loss and weak signal on one link, one hop degraded, interference on a single edge',
  },
  {
    // Pegged, not merely busy: the service fails requests or stops forwarding, or works harder
    // without any more traffic to show for it.
    when: (v) =>
      !v.causeIsLink &&
      v.atCause('cpu', 'up') &&
      (v.atCause('errorRate', 'up') || v.atCause('throughput', 'down') || !v.atCause('throughput', 'up')),
    words: 'cpu pegged at 100 percent, a runaway process eating all processors, others starved',
  },
  {
    // Overloaded but still serving: more traffic, or queues backing up without errors or a fall in throughput.
    when: (v) =>
      !v.causeIsLink &&
      (v.atCause('throughput', 'up') ||
        (v.atCause('queueDepth', 'up') && !v.atCause('errorRate', 'up') && !v.atCause('throughput', 'down'))),
    words: 'traffic surge, request rate far above normal, queue backlog growing, node overloaded',
  },
  {
    // Memory that grows on its own, not the buffers of a node whose queues back up.
    when: (v) => !v.causeIsLink && v.atCause('memory', 'up') && !v.atCause('queueDepth', 'up'),
    words: 'memory climbing, resident memory grows and never comes down',
  },
  {
    when: (v) =>
      !v.causeIsLink && v.atCause('errorRate', 'up') && !v.atCause('cpu', 'up') && !v.atCause('memory', 'up'),
    words: 'the service rejects requests it accepted before, errors started right after a config change',
  },
  {
    // Loss while every radio link looks fine and no queue overflows: something forwards badly.
    when: (v) =>
      !v.silent &&
      !v.causeIsLink &&
      v.anywhere('packetLoss', 'up') &&
      v.nodesWith('linkQuality', 'down') === 0 &&
      !v.atCause('queueDepth', 'up') &&
      !v.atCauseLocal(),
    words:
      'packets go into one relay and never come out, loss on every route crossing one hop while the node itself looks healthy',
  },
  {
    when: (v) =>
      !v.causeIsLink && !v.silent && !v.atCause('errorRate', 'up') && v.aroundCause('errorRate', 'up'),
    words: 'corrupted packets forwarded by one relay, checksum errors at the next hop',
  },
];

/** A ratio this close to 1 is total: nothing gets through. */
const TOTAL = 0.95;

/** Questions the patterns ask of an incident's symptoms. */
class SymptomView {
  constructor(
    private readonly symptoms: readonly Symptom[],
    readonly silent: boolean,
    readonly causeIsLink: boolean,
    /** The suspected cause is a partition's cut. */
    readonly cut: boolean,
  ) {}

  #match(s: Symptom, metric: string, direction: Symptom['direction'], shape?: Shape): boolean {
    return s.metric === metric && s.direction === direction && (shape === undefined || s.shape === shape);
  }

  atCause(metric: string, direction: Symptom['direction']): boolean {
    return this.symptoms.some((s) => s.atCause && this.#match(s, metric, direction));
  }

  aroundCause(metric: string, direction: Symptom['direction']): boolean {
    return this.symptoms.some((s) => !s.atCause && this.#match(s, metric, direction));
  }

  anywhere(metric: string, direction: Symptom['direction'], shape?: Shape): boolean {
    return this.symptoms.some((s) => this.#match(s, metric, direction, shape));
  }

  /** Whether some node lost (nearly) all of `metric`'s share: a loss ratio at 1. */
  total(metric: string): boolean {
    return this.symptoms.some((s) => s.metric === metric && s.direction === 'up' && s.worst >= TOTAL);
  }

  nodesWith(metric: string, direction: Symptom['direction']): number {
    return new Set(this.symptoms.filter((s) => this.#match(s, metric, direction)).map((s) => s.node)).size;
  }

  /** Whether the suspect shows any of its own (cpu, memory, errors) metrics moving up. */
  atCauseLocal(): boolean {
    return ['cpu', 'memory', 'errorRate'].some((m) => this.atCause(m, 'up'));
  }
}

/**
 * Writes the symptoms as an incident description: the patterns they form, then the suspected
 * cause's own symptoms, then what its neighbours show, then the spread. Silent nodes are
 * described as having stopped reporting.
 */
export function describeIncident(
  symptoms: readonly Symptom[],
  silentNodes: readonly string[],
  nodeCount: number,
  cause: { readonly isLink: boolean; readonly cut?: boolean },
): string {
  const parts: string[] = [];
  if (silentNodes.length)
    parts.push('node stopped reporting telemetry, no heartbeat, unreachable host down, box crashed');
  const view = new SymptomView(symptoms, silentNodes.length > 0, cause.isLink, !!cause.cut);
  for (const pattern of PATTERNS) if (pattern.when(view)) parts.push(pattern.words);
  const phrase = (s: Symptom) =>
    `${WORDS[s.metric]?.[s.direction] ?? `${s.metric} ${s.direction}`} ${SHAPES[s.shape]}`.trim();
  const strongest = (atCause: boolean, n: number) =>
    [
      ...new Set(
        symptoms
          .filter((s) => s.atCause === atCause)
          .sort((a, b) => b.strength - a.strength)
          .map(phrase),
      ),
    ].slice(0, n);
  const atCause = strongest(true, 4);
  const around = strongest(false, 3);
  // A hop that lost everything is down, not weak: its metric-by-metric account (loss rising, signal
  // weak) would describe a degraded link instead.
  const down = cause.isLink && view.total('packetLoss');
  if (atCause.length && !down)
    parts.push(`${cause.isLink ? 'on both ends of one link' : 'on the suspect node'}: ${atCause.join('; ')}`);
  if (around.length) parts.push(`on neighbouring nodes: ${around.join('; ')}`);
  if (nodeCount > 6) parts.push(`${nodeCount} nodes affected across a region of the mesh`);
  return parts.join('. ');
}
