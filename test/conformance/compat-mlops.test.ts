// The six integration-test subjects of the original system's MLOps and LoRA modules.
import { describe, expect, it } from 'vitest';
import { LoRAConfig, LORA_TARGET_MODULES, MLOpsManager } from '../../src/compat/index.ts';
import { ArgumentError } from '../../src/errors.ts';
import { MemoryStore } from '../../src/knowledge/memory-store.ts';
import { ModelNotFoundError } from '../../src/mlops/index.ts';
import { Rng } from '../../src/random.ts';
import type { AuditEvent } from '../../src/security/audit-entry.ts';

describe('MLOpsManager and LoRAConfig (compat)', () => {
  it('creates a manager over an empty registry', async () => {
    const manager = new MLOpsManager();
    expect(await manager.getAllModels()).toEqual([]);
    await expect(manager.checkModelHealth('absent')).rejects.toThrow(ModelNotFoundError);
  });

  it('has the original defaults: r = 8, alpha = 16, scale alpha / r', () => {
    const config = new LoRAConfig();
    expect(config.r).toBe(8);
    expect(config.alpha).toBe(16);
    expect(config.scale).toBe(2);
    expect(config.dropout).toBe(0);
    expect(config.useRslora).toBe(false);
    expect(config.initialisation).toBe('kaiming-uniform');
  });

  it('takes custom values, rank-stabilised scaling included, and refuses bad ones by name', () => {
    const config = new LoRAConfig({
      r: 16,
      alpha: 32,
      dropout: 0.1,
      useRslora: true,
      initialisation: 'gaussian',
    });
    expect([config.r, config.alpha, config.dropout]).toEqual([16, 32, 0.1]);
    expect(config.scale).toBe(8);
    expect(new LoRAConfig({ r: 4, alpha: 8 }).scale).toBe(2);
    expect(config.toJSON()).toMatchObject({
      r: 16,
      alpha: 32,
      useRslora: true,
      initialisation: 'gaussian',
    });
    expect(() => new LoRAConfig({ r: 0 })).toThrow(/^r: /);
    expect(() => new LoRAConfig({ r: 2.5 })).toThrow(ArgumentError);
    expect(() => new LoRAConfig({ alpha: -1 })).toThrow(/^alpha: /);
    expect(() => new LoRAConfig({ dropout: 1 })).toThrow(/^dropout: /);
    expect(() => new LoRAConfig({ useRslora: 'yes' as unknown as boolean })).toThrow(/^useRslora: /);
  });

  it('targets the modules that carry an adapter, and refuses the others by name', () => {
    expect(new LoRAConfig().targetModules).toEqual([...LORA_TARGET_MODULES]);
    expect(new LoRAConfig({ targetModules: ['action-head', 'action-head'] }).targetModules).toEqual([
      'action-head',
    ]);
    expect(() => new LoRAConfig({ targetModules: ['q_proj', 'v_proj'] })).toThrow(/no module "q_proj"/);
    expect(() => new LoRAConfig({ targetModules: [] })).toThrow(/^targetModules: /);
  });

  it('registers trained models as versions, audited, and lists them', async () => {
    const audit: AuditEvent[] = [];
    const store = new MemoryStore();
    const manager = new MLOpsManager({
      store,
      audit: { append: async (e) => audit.push(e) },
      now: () => 5_000,
    });
    const lora = new LoRAConfig({ r: 4 });
    const v1 = await manager.registerTrainedModel(
      'scorer',
      { b: [0, 0, 0, 0] },
      { healedRate: 0.8 },
      {
        parameters: lora.toJSON(),
      },
    );
    const v2 = await manager.registerTrainedModel('scorer', { b: [0.1, 0, 0, 0] }, { healedRate: 0.85 });
    await manager.registerTrainedModel(
      'detector.cpu',
      { threshold: 3 },
      {},
      { kind: 'detector', promote: false },
    );
    expect([v1.version, v2.version, v2.lineage.parent]).toEqual([1, 2, 1]);
    expect(v1.lineage.parameters).toMatchObject({ r: 4, alpha: 16 });
    expect(await manager.getAllModels()).toEqual([
      { name: 'detector.cpu', kind: 'detector', versions: 1, latest: 1, aliases: {} },
      { name: 'scorer', kind: 'scoring-adapter', versions: 2, latest: 2, aliases: { champion: 2 } },
    ]);
    expect(audit.map((e) => e.kind)).toEqual([
      'model.register',
      'model.promote',
      'model.register',
      'model.promote',
      'model.register',
    ]);
    // The versions are in the store, not in the manager.
    expect((await new MLOpsManager({ store }).getAllModels()).map((m) => m.name)).toEqual([
      'detector.cpu',
      'scorer',
    ]);
  });

  it('judges model health from the evidence fed to it: unknown, healthy, then failing', async () => {
    const manager = new MLOpsManager();
    await manager.registerTrainedModel('scorer', { b: [0] }, { healedRate: 0.9 });
    expect((await manager.checkModelHealth('scorer', 2)).status).toBe('unknown');
    const monitor = manager.monitor('scorer');
    const rng = new Rng(3);
    for (let i = 0; i < 30; i++) monitor.recordDecision(rng.chance(0.95));
    const healthy = await manager.checkModelHealth('scorer', 2);
    expect(healthy).toMatchObject({ model: 'scorer', version: 1, status: 'healthy' });
    for (let i = 0; i < 60; i++) monitor.recordDecision(false);
    const failing = await manager.checkModelHealth('scorer', 2);
    expect(failing.status).toBe('failing');
    expect(failing.decisionSuccessRate).toBeLessThan(0.5);
  });
});
