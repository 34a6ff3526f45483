/**
 * The Python system's `LoRAConfig` under its own name: the engine's adapter configuration
 * (src/plan/lora.ts), which configures the LoRA adapters on the decision scorer that
 * `DecisionEngine` and the engine's planner learn from outcomes. Defaults as the original's
 * (r = 8, alpha = 16); see src/plan/lora.ts for the fields and their sources.
 */
export {
  LORA_TARGET_MODULES,
  LoRAConfig,
  type LoRAConfigOptions,
  type LoRAInitialisation,
  type LoRASettings,
  type LoRATargetModule,
} from '../plan/lora.ts';
