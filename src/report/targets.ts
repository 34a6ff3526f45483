/**
 * The main job's targets (the engine issue's, and the RAG issue's for the diagnosis), as the
 * README's main-job table lists them: what a run report measures its figures against.
 */

/** One target: the figure's name, the bound and which way it points. */
export interface FigureTarget {
  /** What is measured, in words. */
  label: string;
  /** At least (`min`) or at most (`max`) this. */
  min?: number;
  max?: number;
  /** How the figure prints: a share as a percentage, ticks, or a rate per hour. */
  unit: 'share' | 'ticks' | 'per-hour';
}

/** The targets by the report field they bound. */
export const TARGETS = {
  detectionRate: { label: 'faults detected', min: 0.95, unit: 'share' },
  mttdMedian: { label: 'median time to detect', max: 3, unit: 'ticks' },
  rootCauseTop1: { label: 'root cause right first', min: 0.8, unit: 'share' },
  diagnosisAccuracy: { label: 'diagnosis names the kind', min: 0.9, unit: 'share' },
  healedRate: { label: 'healed by the engine', min: 0.9, unit: 'share' },
  mttrMedian: { label: 'median time to recover', max: 10, unit: 'ticks' },
  falseAlarmsPerHour: { label: 'false alarms per hour', max: 1, unit: 'per-hour' },
  actionsOnHealthyShare: { label: 'actions on healthy targets', max: 0.02, unit: 'share' },
} as const satisfies Record<string, FigureTarget>;

/** Whether `value` meets `target`; a missing figure (no fault detected, say) does not. */
export function meets(target: FigureTarget, value: number | null | undefined): boolean {
  if (value === null || value === undefined || Number.isNaN(value)) return false;
  return (
    (target.min === undefined || value >= target.min) && (target.max === undefined || value <= target.max)
  );
}

/** A figure printed in its target's unit. */
export function formatFigure(target: FigureTarget, value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return 'n/a';
  if (target.unit === 'share') return `${Math.round(value * 1000) / 10}%`;
  if (target.unit === 'ticks') return `${value} tick${value === 1 ? '' : 's'}`;
  return `${Math.round(value * 100) / 100}/h`;
}

/** The bound itself, e.g. ">= 95%" or "<= 3 ticks". */
export function formatBound(target: FigureTarget): string {
  return target.min !== undefined
    ? `>= ${formatFigure(target, target.min)}`
    : `<= ${formatFigure(target, target.max ?? Number.NaN)}`;
}
