/**
 * The low-rank adapter's configuration (the Python system's `LoRAConfig`), validated, with the
 * original's defaults (r = 8, alpha = 16). It configures the LoRA adapters on the decision
 * scorer (src/kernels/scoring) that the planner learns online from outcomes:
 * - `targetModules` says which parts of the scorer carry an adapter: the `feature-projection`
 *   (the map from a candidate's features to its score, shared by every action) and the
 *   `action-head` (one row of B per action, so each action learns its own correction);
 * - the adapters' output is multiplied by alpha / r (Hu et al., "LoRA", 2021) or, with
 *   `useRslora`, by alpha / sqrt(r) (Kalajdzievski, "A Rank Stabilization Scaling Factor for
 *   Fine-Tuning with LoRA", 2023), which keeps the update's size from shrinking as r grows;
 * - initialisation follows Hugging Face PEFT: B = 0, so a fresh adapter changes nothing, and A
 *   Kaiming-uniform (PEFT's default) or Gaussian N(0, (1/r)^2), drawn from `seed`;
 * - `dropout` drops the adapters' inputs while training (inverted dropout, PEFT's
 *   `lora_dropout`), the masks drawn from a PRNG seeded by `seed` (src/random.ts).
 * A registry version of the adapter records its configuration; the planner refuses weights
 * learnt under another one (see `UtilityPlanner.create`).
 */
import { ArgumentError } from '../errors.ts';

/** The decision scorer's parts that can carry a low-rank adapter. */
export const LORA_TARGET_MODULES = ['feature-projection', 'action-head'] as const;

/** One of {@link LORA_TARGET_MODULES}. */
export type LoRATargetModule = (typeof LORA_TARGET_MODULES)[number];

/** How A is drawn (B always starts at zero). */
export type LoRAInitialisation = 'kaiming-uniform' | 'gaussian';

/** What {@link LoRAConfig} accepts; every field is optional. */
export interface LoRAConfigOptions {
  /** Rank, an integer in 1..256. Default 8. */
  r?: number;
  /** Scaling numerator, finite and > 0. Default 16. */
  alpha?: number;
  /** Probability of dropping an adapter input while training, in [0, 1). Default 0 (PEFT's). */
  dropout?: number;
  /** Modules to adapt, from {@link LORA_TARGET_MODULES} (duplicates merged). Default both. */
  targetModules?: readonly string[];
  /** Scale by alpha / sqrt(r) (rank-stabilised) instead of alpha / r. Default false. */
  useRslora?: boolean;
  /** How A is drawn. Default 'kaiming-uniform'. */
  initialisation?: LoRAInitialisation;
  /** Seed of A's initial draw and of the dropout masks (an integer in 0..2^32-1). Default 1. */
  seed?: number;
}

/** A configuration as plain JSON: what a registry version records in its parameters. */
export type LoRASettings = {
  /** Rank. */
  r: number;
  /** Scaling numerator. */
  alpha: number;
  /** Probability of dropping an adapter input while training. */
  dropout: number;
  /** Modules adapted, in {@link LORA_TARGET_MODULES} order. */
  targetModules: LoRATargetModule[];
  /** Whether the scale is alpha / sqrt(r). */
  useRslora: boolean;
  /** How A was drawn. */
  initialisation: LoRAInitialisation;
  /** Seed of A's initial draw and of the dropout masks. */
  seed: number;
};

/** A validated low-rank adapter configuration; see the module comment. */
export class LoRAConfig {
  /** Rank. */
  readonly r: number;
  /** Scaling numerator. */
  readonly alpha: number;
  /** Probability of dropping an adapter input while training. */
  readonly dropout: number;
  /** Modules adapted, in {@link LORA_TARGET_MODULES} order. */
  readonly targetModules: readonly LoRATargetModule[];
  /** Whether the scale is alpha / sqrt(r) (rank-stabilised). */
  readonly useRslora: boolean;
  /** How A is drawn. */
  readonly initialisation: LoRAInitialisation;
  /** Seed of A's initial draw and of the dropout masks. */
  readonly seed: number;

  /** Throws an ArgumentError naming the first field out of range. */
  constructor(options: LoRAConfigOptions = {}) {
    if (options === null || typeof options !== 'object')
      throw new ArgumentError('options', 'expected an object of LoRA settings');
    const r = options.r ?? 8;
    if (!Number.isInteger(r) || r < 1 || r > 256)
      throw new ArgumentError('r', `expected an integer rank in 1..256, got ${String(r)}`);
    const alpha = options.alpha ?? 16;
    if (typeof alpha !== 'number' || !Number.isFinite(alpha) || alpha <= 0)
      throw new ArgumentError('alpha', `expected a finite number > 0, got ${String(alpha)}`);
    const dropout = options.dropout ?? 0;
    if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1))
      throw new ArgumentError('dropout', `expected a probability in [0, 1), got ${String(dropout)}`);
    const targets = options.targetModules ?? LORA_TARGET_MODULES;
    if (!Array.isArray(targets) || targets.length === 0)
      throw new ArgumentError('targetModules', 'expected a non-empty list of module names');
    for (const name of targets)
      if (!(LORA_TARGET_MODULES as readonly unknown[]).includes(name))
        throw new ArgumentError(
          'targetModules',
          `the decision scorer has no module ${JSON.stringify(name)}; expected some of ${LORA_TARGET_MODULES.join(', ')}`,
        );
    const useRslora = options.useRslora ?? false;
    if (typeof useRslora !== 'boolean')
      throw new ArgumentError('useRslora', `expected a boolean, got ${String(useRslora)}`);
    const initialisation = options.initialisation ?? 'kaiming-uniform';
    if (initialisation !== 'kaiming-uniform' && initialisation !== 'gaussian')
      throw new ArgumentError(
        'initialisation',
        `expected 'kaiming-uniform' or 'gaussian', got ${String(initialisation)}`,
      );
    const seed = options.seed ?? 1;
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
      throw new ArgumentError('seed', `expected an integer in 0..2^32-1, got ${String(seed)}`);
    this.r = r;
    this.alpha = alpha;
    this.dropout = dropout;
    this.targetModules = Object.freeze(LORA_TARGET_MODULES.filter((m) => targets.includes(m)));
    this.useRslora = useRslora;
    this.initialisation = initialisation;
    this.seed = seed;
  }

  /** A configuration from its JSON (a registry version's parameters), validated the same way. */
  static fromJSON(settings: unknown): LoRAConfig {
    if (settings === null || typeof settings !== 'object' || Array.isArray(settings))
      throw new ArgumentError('settings', 'expected an object of LoRA settings');
    return new LoRAConfig(settings as LoRAConfigOptions);
  }

  /** The adapters' output factor: alpha / r, or alpha / sqrt(r) when rank-stabilised. */
  get scale(): number {
    return this.useRslora ? this.alpha / Math.sqrt(this.r) : this.alpha / this.r;
  }

  /** Whether `module` carries an adapter. */
  targets(module: LoRATargetModule): boolean {
    return this.targetModules.includes(module);
  }

  /** Whether `other` configures the same adapter (every field equal). */
  equals(other: LoRAConfig): boolean {
    return JSON.stringify(this.toJSON()) === JSON.stringify(other.toJSON());
  }

  /** The settings as plain JSON (what a registry version records as its parameters). */
  toJSON(): LoRASettings {
    return {
      r: this.r,
      alpha: this.alpha,
      dropout: this.dropout,
      targetModules: [...this.targetModules],
      useRslora: this.useRslora,
      initialisation: this.initialisation,
      seed: this.seed,
    };
  }

  /** One line for logs and errors, e.g. "r 8, alpha 16, scale 2, feature-projection + action-head". */
  toString(): string {
    const extras = [
      this.dropout ? `dropout ${this.dropout}` : '',
      this.initialisation === 'gaussian' ? 'gaussian A' : '',
      this.seed !== 1 ? `seed ${this.seed}` : '',
    ].filter(Boolean);
    return [
      `r ${this.r}, alpha ${this.alpha}, scale ${+this.scale.toFixed(4)}${this.useRslora ? ' (rsLoRA)' : ''}`,
      this.targetModules.join(' + '),
      ...extras,
    ].join(', ');
  }
}
