import { describe, expect, it } from 'vitest';
import { ArgumentError } from '../../src/errors.ts';
import { builtinTargets, monitorIngestTarget, sha256Target } from '../../src/load/builtin-targets.ts';
import { PLAN_PRESETS, PRESETS, presetScenario } from '../../src/load/presets.ts';
import { formatProgress, formatSummary } from '../../src/load/report-text.ts';
import { renderLoadReportHtml } from '../../src/load/report-html.ts';
import { runScenario } from '../../src/load/run.ts';
import { totalDurationMs } from '../../src/load/schedule.ts';
import { IterationContext } from '../../src/load/target.ts';

describe('presets', () => {
  it('encode the validation plan and scale their durations', () => {
    const at = (name: string, scale = 1) => presetScenario(name, scale);
    expect(at('baseline')).toMatchObject({ model: 'open', stages: [{ rate: 50, durationMs: 30_000 }] });
    expect(at('throughput')).toMatchObject({ stages: [{ rate: 100, durationMs: 60_000 }] });
    expect(at('high-concurrency')).toMatchObject({
      stages: [{ rate: 200, durationMs: 45_000 }],
      maxInFlight: 50,
    });
    const stress = at('stress');
    expect(stress.stages.map((s) => (s as { rate: number }).rate)).toEqual([50, 100, 150, 200, 250, 300]);
    expect(stress.stages.every((s) => s.durationMs === 30_000)).toBe(true);
    expect(at('latency-consistency').stages.map((s) => [(s as { rate: number }).rate, s.durationMs])).toEqual(
      [
        [50, 20_000],
        [100, 20_000],
        [150, 20_000],
        [200, 20_000],
      ],
    );
    const ingest = at('ingest');
    expect(ingest).toMatchObject({ batchSize: 1000, stopOnBreak: true });
    expect(ingest.stages.map((s) => (s as { rate: number }).rate * 1000)).toEqual([
      125e3, 250e3, 500e3, 1e6, 2e6, 4e6, 8e6, 16e6,
    ]);
    const allScaled = PLAN_PRESETS.reduce((ms, name) => ms + totalDurationMs(at(name, 0.1).stages), 0);
    expect(allScaled).toBe(39_500);
    for (const name of Object.keys(PRESETS)) expect(at(name).thresholds?.length).toBeGreaterThan(0);
  });

  it('reject unknown names and bad scales', () => {
    expect(() => presetScenario('soak')).toThrow(ArgumentError);
    expect(() => presetScenario('soak')).toThrow(/preset/);
    expect(() => presetScenario('baseline', 0)).toThrow(/scale/);
    expect(() => presetScenario('baseline', NaN)).toThrow(/scale/);
  });
});

describe('built-in targets', () => {
  it('sha256 hashes a different payload per call', () => {
    const { sha256 } = builtinTargets();
    const a = sha256(new IterationContext(1, 1)) as Uint8Array;
    const b = sha256(new IterationContext(2, 1)) as Uint8Array;
    expect(a).toHaveLength(32);
    expect(Array.from(a)).not.toEqual(Array.from(b));
    expect(() => sha256Target(2)).toThrow(/payloadBytes/);
  });

  it('ingest pushes every sample through the engine Monitor, run after run', async () => {
    const ingest = monitorIngestTarget({ seed: 3 });
    for (let run = 0; run < 2; run++) {
      const result = await runScenario(ingest, {
        name: 'ingest',
        model: 'open',
        stages: [{ rate: 200, durationMs: 200 }],
        batchSize: 500,
      });
      expect(result.summary).toMatchObject({ ok: 40, failed: 0 });
      expect(result.unitsPerSecond).toBeCloseTo(result.summary.achievedRate * 500, 6);
    }
    expect(() => monitorIngestTarget({ pool: 0 })).toThrow(/options\.pool/);
  });
});

describe('reports', () => {
  it('render a summary, a progress line and a self-contained HTML page', async () => {
    const result = await runScenario(
      (ctx) => (ctx.iteration % 10 === 0 ? Promise.reject(new TypeError('x')) : undefined),
      {
        name: 'report <&> "x"',
        model: 'open',
        stages: [
          { rate: 200, durationMs: 150 },
          { rate: 400, durationMs: 150 },
        ],
        thresholds: ['p(99)<1000', 'error_rate<0.01'],
      },
    );
    const text = formatSummary(result);
    expect(text).toContain('corrected');
    expect(text).toContain('uncorrected');
    expect(text).toContain('TypeError 9');
    expect(text).toMatch(/FAIL error_rate<0\.01/);
    expect(text).toContain('200 ops/s');
    expect(text).toContain('FAILED');
    const line = formatProgress({
      scenario: 's',
      elapsedMs: 1500,
      plannedMs: 3000,
      stage: 0,
      started: 10,
      completed: 9,
      errors: 1,
      dropped: 2,
      inFlight: 1,
    });
    expect(line).toMatch(/1\.5\/3\.0 s \(50%\).*errors 1 dropped 2 in flight 1/);

    const html = renderLoadReportHtml([result]);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html.match(/<svg /g)).toHaveLength(3);
    expect(html).toContain('report &#60;&#38;&#62; &#34;x&#34;');
    expect(html).not.toContain('<script');
    expect(html).not.toMatch(/(src|href)=/);
    expect(html.replaceAll('http://www.w3.org/2000/svg', '')).not.toMatch(/https?:\/\//);
    expect(html).toContain('<polyline');
  });
});
