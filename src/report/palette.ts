/**
 * The colours every picture of a run uses, so the playground and the HTML report read alike:
 * node health, links, incident outlines, one colour per fault kind and one per step of a fault's
 * life. The fault-kind colours follow Okabe and Ito's colour-blind-safe set where it reaches.
 */

/** How a node looks: one of these states, from the engine's view of its telemetry. */
export type NodeHealth = 'healthy' | 'anomalous' | 'suspect' | 'silent';

/** Node health as a small integer (an index here), for typed arrays sent each frame. */
export const NODE_HEALTH: readonly NodeHealth[] = ['healthy', 'anomalous', 'suspect', 'silent'];

/** Node fills by health. */
export const NODE_COLORS: Readonly<Record<NodeHealth, string>> = {
  healthy: '#3a9d5d',
  anomalous: '#e3a008',
  suspect: '#d1362f',
  silent: '#4b5563',
};

/** Link strokes. */
export const LINK_COLORS = Object.freeze({
  normal: '#c2c8d2',
  /** Both ends anomalous: the link looks sick from its ends' telemetry. */
  strained: '#e3a008',
  suspect: '#d1362f',
  /** The ground truth: where a fault is (dashed over the link). */
  faulty: '#1f2937',
});

/** Incident outlines, by where the incident stands. */
export const INCIDENT_COLORS = Object.freeze({
  open: '#d1362f',
  escalated: '#7b3294',
});

/** Ring marking the ground truth (an injected fault's root cause) and the user's selection. */
export const MARK_COLORS = Object.freeze({
  faulty: '#111827',
  acted: '#0072b2',
  selected: '#2563eb',
});

/** One colour per fault kind the simulator injects; other kinds fall back to KIND_FALLBACK. */
export const KIND_COLORS: Readonly<Record<string, string>> = {
  'node-crash': '#d1362f',
  'link-degradation': '#e69f00',
  congestion: '#56b4e9',
  'cpu-exhaustion': '#cc79a7',
  'memory-leak': '#009e73',
  partition: '#0072b2',
  'misbehaving-node': '#7b3294',
  'flapping-link': '#a6761d',
  'bad-config': '#5f6b7a',
};

/** Colour of a fault kind without one of its own. */
export const KIND_FALLBACK = '#999999';

/** The colour of fault kind `kind`. */
export function kindColor(kind: string): string {
  return KIND_COLORS[kind] ?? KIND_FALLBACK;
}

/** The steps of a fault's life, in order, and their colours on a swimlane. */
export const STEP_COLORS = Object.freeze({
  injected: '#6b7280',
  detected: '#e3a008',
  diagnosed: '#2563eb',
  acted: '#7b3294',
  healed: '#3a9d5d',
  ended: '#9ca3af',
});
