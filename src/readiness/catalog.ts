/** Every readiness check, in the order a run performs them (grouped by category). */
import type { Check } from './check.ts';
import { codeQualityChecks } from './checks/code-quality.ts';
import { deploymentChecks } from './checks/deployment.ts';
import { infrastructureChecks } from './checks/infrastructure.ts';
import { kernelTwinChecks } from './checks/kernel-twins.ts';
import { performanceChecks } from './checks/performance.ts';
import { securityChecks } from './checks/security.ts';
import { testingRepoChecks } from './checks/testing-repo.ts';

/** The full catalogue run by `x0tta6bl4 readiness`. */
export const READINESS_CHECKS: readonly Check[] = [
  ...codeQualityChecks,
  ...testingRepoChecks,
  ...kernelTwinChecks,
  ...performanceChecks,
  ...securityChecks,
  ...infrastructureChecks,
  ...deploymentChecks,
];
