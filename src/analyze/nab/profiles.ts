/** NAB's three cost profiles (profiles.json of NAB v1.1). */

/** The weights one profile gives to a caught window, a missed window and a false positive. */
export interface CostProfile {
  /** Weight of a caught window (at its best detection). */
  readonly tpWeight: number;
  /** Weight of a missed window (a penalty). */
  readonly fnWeight: number;
  /** Weight of a false positive (a penalty). */
  readonly fpWeight: number;
}

/** Names of NAB's profiles, in the order NAB reports them. */
export type ProfileName = 'standard' | 'reward_low_FP_rate' | 'reward_low_FN_rate';

/** The profiles NAB scores every detector with. */
export const NAB_PROFILES: Readonly<Record<ProfileName, CostProfile>> = Object.freeze({
  standard: { tpWeight: 1, fnWeight: 1, fpWeight: 0.11 },
  reward_low_FP_rate: { tpWeight: 1, fnWeight: 1, fpWeight: 0.22 },
  reward_low_FN_rate: { tpWeight: 1, fnWeight: 2, fpWeight: 0.11 },
});

/** Profile names in report order. */
export const PROFILE_NAMES: readonly ProfileName[] = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'];
