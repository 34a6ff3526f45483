/**
 * The Python system's `LoRAConfig`: the low-rank adapter's settings, validated, with the
 * original's defaults (r = 8, alpha = 16). `scale` is the factor the adapter's output is
 * multiplied by: alpha / r (Hu et al., "LoRA", 2021) or, rank-stabilised, alpha / sqrt(r)
 * (Kalajdzievski, "A Rank Stabilization Scaling Factor for Fine-Tuning with LoRA", 2023), which
 * keeps the update's size from shrinking as r grows. Initialisation follows Hugging Face PEFT:
 * B = 0 so a fresh adapter changes nothing, and A either Kaiming-uniform (PEFT's default; the
 * scoring kernel's U(+-1/sqrt(features))) or Gaussian N(0, 1/r).
 */
import { ArgumentError } from '../errors.ts';

/** The engine's modules that carry a low-rank adapter: the decision scorer's head (src/kernels/scoring). */
export const LORA_TARGET_MODULES = ['decision-scorer'] as const;

/** How the adapter's output is scaled. */
export type LoRAScaling = 'standard' | 'rank-stabilised';

/** How A is drawn (B always starts at zero). */
export type LoRAInitialisation = 'kaiming-uniform' | 'gaussian';

/** What {@link LoRAConfig} accepts; every field is optional. */
export interface LoRAConfigOptions {
  /** Rank, an integer in 1..256. Default 8. */
  r?: number;
  /** Scaling numerator, > 0. Default 16. */
  alpha?: number;
  /** Probability of dropping an input of the adapter while training, in [0, 1). Default 0 (PEFT's). */
  dropout?: number;
  /** Modules to adapt, from {@link LORA_TARGET_MODULES}. Default all of them. */
  targetModules?: readonly string[];
  /** How the output is scaled. Default 'standard' (alpha / r). */
  scaling?: LoRAScaling;
  /** How A is drawn. Default 'kaiming-uniform'. */
  initialisation?: LoRAInitialisation;
  /** Seed of A's initial draw (an integer in 0..2^32-1). Default 1. */
  seed?: number;
}

/** A validated low-rank adapter configuration; see the module comment. */
export class LoRAConfig {
  /** Rank. */
  readonly r: number;
  /** Scaling numerator. */
  readonly alpha: number;
  /** Probability of dropping an adapter input while training. */
  readonly dropout: number;
  /** Modules adapted. */
  readonly targetModules: readonly string[];
  /** How the output is scaled. */
  readonly scaling: LoRAScaling;
  /** How A is drawn. */
  readonly initialisation: LoRAInitialisation;
  /** Seed of A's initial draw. */
  readonly seed: number;

  /** Throws an ArgumentError naming the first field out of range. */
  constructor(options: LoRAConfigOptions = {}) {
    const r = options.r ?? 8;
    if (!Number.isInteger(r) || r < 1 || r > 256)
      throw new ArgumentError('r', `expected an integer rank in 1..256, got ${String(r)}`);
    const alpha = options.alpha ?? 16;
    if (!Number.isFinite(alpha) || alpha <= 0)
      throw new ArgumentError('alpha', `expected a number > 0, got ${String(alpha)}`);
    const dropout = options.dropout ?? 0;
    if (!(dropout >= 0 && dropout < 1))
      throw new ArgumentError('dropout', `expected a probability in [0, 1), got ${String(dropout)}`);
    const targets = options.targetModules ?? LORA_TARGET_MODULES;
    if (!Array.isArray(targets) || targets.length === 0)
      throw new ArgumentError('targetModules', 'expected a non-empty list of module names');
    for (const name of targets)
      if (!(LORA_TARGET_MODULES as readonly string[]).includes(name))
        throw new ArgumentError(
          'targetModules',
          `no module ${JSON.stringify(name)} carries an adapter in this engine; expected one of ${LORA_TARGET_MODULES.join(', ')}`,
        );
    const scaling = options.scaling ?? 'standard';
    if (scaling !== 'standard' && scaling !== 'rank-stabilised')
      throw new ArgumentError('scaling', `expected 'standard' or 'rank-stabilised', got ${String(scaling)}`);
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
    this.targetModules = Object.freeze([...new Set(targets)]);
    this.scaling = scaling;
    this.initialisation = initialisation;
    this.seed = seed;
  }

  /** The adapter output's factor: alpha / r, or alpha / sqrt(r) when rank-stabilised. */
  get scale(): number {
    return this.scaling === 'standard' ? this.alpha / this.r : this.alpha / Math.sqrt(this.r);
  }

  /** The settings as plain JSON (what a registry version records as its parameters). */
  toJSON(): Record<string, unknown> {
    return {
      r: this.r,
      alpha: this.alpha,
      dropout: this.dropout,
      targetModules: [...this.targetModules],
      scaling: this.scaling,
      initialisation: this.initialisation,
      seed: this.seed,
    };
  }
}
