import { describe, expect, it } from 'vitest';
import {
  verdict,
  notApplicable,
  type Check,
  type CheckContext,
  type Observation,
} from '../../src/readiness/check.ts';
import { exitCode, runChecks } from '../../src/readiness/runner.ts';
import { formatReport } from '../../src/readiness/report-text.ts';
import { escapeHtml, renderReadinessReportHtml } from '../../src/readiness/report-html.ts';
import { ArgumentError } from '../../src/errors.ts';

/** A context with no package root, keys or store, and a fixed clock. */
function context(): CheckContext {
  const memo = new Map<string, Promise<unknown>>();
  return {
    packageRoot: null,
    keysPath: null,
    storePath: null,
    now: () => Date.UTC(2026, 10, 27),
    tempDir: () => Promise.reject(new Error('no temp dirs here')),
    shared<T>(key: string, compute: () => Promise<T>) {
      if (!memo.has(key)) memo.set(key, compute());
      return memo.get(key) as Promise<T>;
    },
  };
}

function check(
  id: string,
  run: () => Promise<Observation> | Observation,
  options: Partial<Check> = {},
): Check {
  return {
    id,
    title: `check ${id}`,
    category: 'Testing',
    critical: false,
    expected: 'something',
    run: async () => run(),
    ...options,
  };
}

describe('readiness runner', () => {
  it('runs checks in order and records expected, actual, evidence and duration', async () => {
    const order: string[] = [];
    const report = await runChecks(
      [
        check('a', () => (order.push('a'), verdict(true, '3 ms', { ms: 3 }))),
        check('b', () => (order.push('b'), verdict(false, '9 ms', { ms: 9 })), { category: 'Performance' }),
      ],
      context(),
      { runtime: 'test' },
    );
    expect(order).toEqual(['a', 'b']);
    expect(report.checks.map((c) => [c.id, c.status, c.actual, c.evidence])).toEqual([
      ['a', 'pass', '3 ms', { ms: 3 }],
      ['b', 'fail', '9 ms', { ms: 9 }],
    ]);
    expect(report.checks[1].category).toBe('Performance');
    expect(report.checks[0].expected).toBe('something');
    expect(report.checks[0].durationMs).toBeGreaterThanOrEqual(0);
    expect(report.summary).toEqual({
      total: 2,
      passed: 1,
      failed: 1,
      notApplicable: 0,
      criticalFailed: 0,
      criticalNotApplicable: 0,
    });
    expect(report.runtime).toBe('test');
    expect(report.startedAt).toBe('2026-11-27T00:00:00.000Z');
  });

  it('records a check that throws as failed, with the error as evidence', async () => {
    const report = await runChecks(
      [
        check(
          'throws',
          () => {
            throw new ArgumentError('x', 'broken on purpose');
          },
          { critical: true },
        ),
      ],
      context(),
    );
    const [result] = report.checks;
    expect(result.status).toBe('fail');
    expect(String(result.evidence.error)).toContain('broken on purpose');
    expect(report.ready).toBe(false);
    expect(exitCode(report)).toBe(1);
  });

  it('fails a pass that carries no evidence, or only undefined evidence', async () => {
    const report = await runChecks(
      [
        check('bare', () => verdict(true, 'fine', {})),
        check('hollow', () => verdict(true, 'fine', { x: undefined })),
      ],
      context(),
    );
    expect(report.checks.map((c) => c.status)).toEqual(['fail', 'fail']);
    expect(String(report.checks[0].evidence.rejected)).toContain('without evidence');
  });

  it('fails a malformed observation and a check that outlives its timeout', async () => {
    const report = await runChecks(
      [
        check('malformed', () => ({ status: 'great' }) as unknown as Observation),
        check('slow', () => new Promise<Observation>(() => {}), { timeoutMs: 50 }),
      ],
      context(),
    );
    expect(report.checks.map((c) => c.status)).toEqual(['fail', 'fail']);
    expect(report.checks[1].actual).toContain('timed out after 50 ms');
  });

  it('keeps evidence JSON-safe: non-finite numbers become strings', async () => {
    const report = await runChecks(
      [check('nan', () => verdict(false, 'NaN', { value: NaN, big: Infinity }))],
      context(),
    );
    expect(report.checks[0].evidence).toEqual({ value: 'NaN', big: 'Infinity' });
    expect(JSON.parse(JSON.stringify(report)).checks[0].evidence.value).toBe('NaN');
  });

  it('exits non-zero only when a critical check fails, or under strict when one does not apply', async () => {
    const soft = await runChecks([check('soft', () => verdict(false, 'bad', { n: 1 }))], context());
    expect(exitCode(soft)).toBe(0);
    const hard = await runChecks(
      [check('hard', () => verdict(false, 'bad', { n: 1 }), { critical: true })],
      context(),
    );
    expect(exitCode(hard)).toBe(1);
    const absent = [
      check('absent', () => notApplicable('nothing here', { why: 'no store' }), { critical: true }),
    ];
    expect(exitCode(await runChecks(absent, context()))).toBe(0);
    const strict = await runChecks(absent, context(), { strict: true });
    expect(strict.summary.criticalNotApplicable).toBe(1);
    expect(exitCode(strict)).toBe(1);
  });

  it('shares one computation between checks through the context', async () => {
    let computed = 0;
    const shared = (ctx: CheckContext) => ctx.shared('x', async () => ++computed);
    const report = await runChecks(
      [
        {
          ...check('one', () => verdict(true, '', { a: 1 })),
          run: async (ctx) => verdict(true, 'one', { value: await shared(ctx) }),
        },
        {
          ...check('two', () => verdict(true, '', { a: 1 })),
          run: async (ctx) => verdict(true, 'two', { value: await shared(ctx) }),
        },
      ],
      context(),
    );
    expect(report.checks.map((c) => c.evidence.value)).toEqual([1, 1]);
    expect(computed).toBe(1);
  });

  it('refuses duplicate ids and unknown categories', async () => {
    const ok = check('same', () => verdict(true, 'x', { a: 1 }));
    await expect(runChecks([ok, ok], context())).rejects.toThrow(ArgumentError);
    await expect(
      runChecks(
        [check('odd', () => verdict(true, 'x', { a: 1 }), { category: 'Vibes' as never })],
        context(),
      ),
    ).rejects.toThrow(/category/);
  });
});

describe('readiness reports', () => {
  async function sample() {
    return runChecks(
      [
        check('testing.ok', () => verdict(true, '0 differing values', { values: 3 }), {
          category: 'Testing',
        }),
        check('perf.slow', () => verdict(false, 'p99 250 ms', { html: '<script>alert(1)</script>' }), {
          category: 'Performance',
          critical: true,
        }),
        check('deploy.none', () => notApplicable('no store', { rule: 'pass --store' }), {
          category: 'Deployment',
        }),
      ],
      context(),
      { runtime: 'test runtime' },
    );
  }

  it('prints a grouped table with the verdict and the failed expectations', async () => {
    const text = formatReport(await sample());
    expect(text).toMatch(/Testing\n {2}PASS {3}testing\.ok/);
    expect(text).toMatch(/FAIL ! perf\.slow +p99 250 ms\n +expected: something/);
    expect(text).toContain('N/A    deploy.none');
    expect(text).toContain('1 passed, 1 failed (1 critical), 1 not applicable (0 critical) of 3 checks');
    expect(text).toContain('NOT READY: critical checks failed: perf.slow');
    expect(text).not.toContain('\x1b[');
    expect(formatReport(await sample(), { colour: true })).toContain('\x1b[31mFAIL');
  });

  it('renders a self-contained HTML page with escaped evidence', async () => {
    const html = renderReadinessReportHtml(await sample());
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).toContain('NOT READY');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).not.toContain('<script>');
    expect(html).not.toMatch(/(src|href)=["']?https?:/);
    expect(html).toContain('<code>perf.slow</code><span class="critical">critical</span>');
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });

  it('serialises to JSON that reads back identical', async () => {
    const report = await sample();
    expect(JSON.parse(JSON.stringify(report))).toEqual(report);
    expect(report.ready).toBe(false);
  });
});
