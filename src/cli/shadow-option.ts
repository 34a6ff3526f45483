/**
 * `--shadow [--shadow-discount D] [--shadow-min-incidents N] [--shadow-alpha A]`, shared by `run`
 * and `serve`: a challenger whose success rates forget, run beside the planner and never acted
 * on (src/mlops/shadow.ts), its registry operations signed into the process's audit log.
 */
import type { ModelAuditLog } from '../mlops/registry.ts';
import { SHADOW_DEFAULTS, type ShadowOptions } from '../mlops/shadow.ts';
import { UsageError } from './args.ts';

/** The shadow's options, for a command's option table. */
export const SHADOW_OPTIONS = {
  shadow: {
    type: 'boolean',
    help: 'run a challenger whose success rates forget in the shadow of the planner (never acted on)',
  },
  'shadow-discount': {
    type: 'number',
    min: 0,
    aboveMin: true,
    max: 1,
    help: `share of earlier evidence the challenger keeps at each outcome (default ${SHADOW_DEFAULTS.discount})`,
  },
  'shadow-min-incidents': {
    type: 'integer',
    min: 1,
    max: 1_000_000,
    help: `incidents scored before the challenger may be promoted (default ${SHADOW_DEFAULTS.minIncidents})`,
  },
  'shadow-alpha': {
    type: 'number',
    min: 0,
    aboveMin: true,
    max: 0.5,
    help: `significance level of the promotion's sign test (default ${SHADOW_DEFAULTS.alpha})`,
  },
} as const;

/** The usage line of the shadow's options. */
export const SHADOW_USAGE =
  `[--shadow [--shadow-discount ${SHADOW_DEFAULTS.discount}] ` +
  `[--shadow-min-incidents ${SHADOW_DEFAULTS.minIncidents}] [--shadow-alpha ${SHADOW_DEFAULTS.alpha}]]`;

/** The help paragraph of the shadow's options. */
export const SHADOW_DETAILS: readonly string[] = [
  '--shadow runs a challenger beside the planner: the same planner whose success rates forget',
  '(each outcome keeps --shadow-discount of the earlier evidence), its choices recorded and never',
  'carried out. It is promoted once --shadow-min-incidents incidents are scored and a one-sided',
  'exact sign test on the incidents one healed and the other did not gives p <= --shadow-alpha;',
  'the champion is rolled back to its previous version when its health turns failing. Each change',
  'is a model registry version in the store, signed into the audit log.',
];

/** The values the shadow's options parse to. */
export interface ShadowValues {
  /** --shadow. */
  shadow?: boolean;
  /** --shadow-discount. */
  'shadow-discount'?: number;
  /** --shadow-min-incidents. */
  'shadow-min-incidents'?: number;
  /** --shadow-alpha. */
  'shadow-alpha'?: number;
}

/** The shadow's settings, as MeshLoop and the operator loop take them. */
export type ShadowSettings = Omit<ShadowOptions, 'store' | 'planner' | 'champion'>;

/**
 * The shadow's settings from the options, or undefined without --shadow; a UsageError naming a
 * --shadow-* option given without --shadow. Check them before opening anything.
 */
export function shadowSettings(values: ShadowValues): ShadowSettings | undefined {
  if (!values.shadow) {
    for (const flag of ['shadow-discount', 'shadow-min-incidents', 'shadow-alpha'] as const)
      if (values[flag] !== undefined) throw new UsageError(`--${flag}`, 'needs --shadow');
    return undefined;
  }
  return {
    challenger: { discount: values['shadow-discount'] ?? SHADOW_DEFAULTS.discount },
    minIncidents: values['shadow-min-incidents'] ?? SHADOW_DEFAULTS.minIncidents,
    alpha: values['shadow-alpha'] ?? SHADOW_DEFAULTS.alpha,
  };
}

/** `settings` recording into `audit` as `actor` (a process's run). */
export function auditedShadow(settings: ShadowSettings, audit: ModelAuditLog, actor: string): ShadowSettings {
  return { ...settings, audit, actor };
}
