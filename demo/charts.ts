/**
 * Live charts of one node (uPlot): its anomaly score per metric against the alarm threshold, and
 * each metric's value, over the last few simulated minutes.
 */
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { NodeSeries } from './protocol.ts';
import { el } from './timeline.ts';

/** One colour per metric, in the order the engine lists them. */
const METRIC_COLORS = [
  '#d1362f',
  '#e69f00',
  '#0072b2',
  '#009e73',
  '#56b4e9',
  '#cc79a7',
  '#7b3294',
  '#a6761d',
];

/** Units of the simulator's metrics, for the charts' titles. */
const UNITS: Record<string, string> = {
  cpu: '%',
  memory: '%',
  packetLoss: 'fraction',
  latencyP95: 'ms',
  throughput: 'Mbit/s',
  errorRate: 'fraction',
  queueDepth: 'packets',
  linkQuality: '0..1',
};

/** uPlot draws gaps where a value is null; the engine's series say NaN where a node sent nothing. */
const gaps = (values: readonly number[]): Array<number | null> =>
  values.map((v) => (Number.isNaN(v) ? null : v));

/** The charts of the selected node, rebuilt when another node is chosen. */
export class NodeCharts {
  #node: string | undefined;
  #scores: uPlot | undefined;
  #metrics: uPlot[] = [];

  constructor(
    private readonly container: HTMLElement,
    private readonly metrics: readonly string[],
    private readonly threshold: number,
  ) {}

  /** The node shown, if any. */
  get node(): string | undefined {
    return this.#node;
  }

  /** Shows `series` (rebuilding the charts when it is another node's). */
  show(series: NodeSeries): void {
    if (series.node !== this.#node) this.#build(series.node);
    const x = series.ticks;
    this.#scores!.setData([
      x,
      ...this.metrics.map((m) => gaps(series.scores[m])),
      x.map(() => this.threshold),
    ] as uPlot.AlignedData);
    this.metrics.forEach((m, j) =>
      this.#metrics[j].setData([x, gaps(series.values[m])] as uPlot.AlignedData),
    );
  }

  /** Removes the charts. */
  clear(): void {
    this.#scores?.destroy();
    for (const chart of this.#metrics) chart.destroy();
    this.#scores = undefined;
    this.#metrics = [];
    this.#node = undefined;
    this.container.replaceChildren();
  }

  #build(node: string): void {
    this.clear();
    this.#node = node;
    const width = Math.max(320, this.container.clientWidth);
    const box = el(
      'div',
      { class: 'chart wide', 'data-chart': 'scores' },
      el('h3', {}, `Anomaly scores of ${node}`),
    );
    this.container.append(box);
    const axis = { stroke: '#4b5563', grid: { stroke: '#eef0f4' }, ticks: { stroke: '#d5dae3' } };
    this.#scores = new uPlot(
      {
        width,
        height: 150,
        scales: { x: { time: false }, y: { range: [0, 1] } },
        axes: [axis, { ...axis, size: 36 }],
        legend: { live: false },
        series: [
          { label: 'tick' },
          ...this.metrics.map((m, j) => ({
            label: m,
            stroke: METRIC_COLORS[j % METRIC_COLORS.length],
            width: 1.25,
          })),
          { label: 'alarm threshold', stroke: '#111827', dash: [4, 4], width: 1 },
        ],
      },
      [[]],
      box,
    );
    this.#metrics = this.metrics.map((m, j) => {
      const small = el('div', { class: 'chart', 'data-chart': m }, el('h3', {}, `${m} (${UNITS[m] ?? ''})`));
      this.container.append(small);
      return new uPlot(
        {
          width: Math.floor(width / 2) - 8,
          height: 90,
          scales: { x: { time: false } },
          axes: [
            { ...axis, show: false },
            { ...axis, size: 44 },
          ],
          legend: { show: false },
          cursor: { show: false },
          series: [{}, { label: m, stroke: METRIC_COLORS[j % METRIC_COLORS.length], width: 1.25 }],
        },
        [[], []],
        small,
      );
    });
  }
}
