/** Every readiness check, in the order a run performs them (grouped by category). */
import type { Check } from './check.ts';
import { deploymentChecks } from './checks/deployment.ts';
import { infrastructureChecks } from './checks/infrastructure.ts';
import { kernelTwinChecks } from './checks/kernel-twins.ts';
import { performanceChecks } from './checks/performance.ts';
import { securityChecks } from './checks/security.ts';

/** The full catalogue run by `x0tta6bl4 readiness`. */
export const READINESS_CHECKS: readonly Check[] = [
  ...kernelTwinChecks,
  ...performanceChecks,
  ...securityChecks,
  ...infrastructureChecks,
  ...deploymentChecks,
];
