/** The playground: the same package code the CLI runs, in a browser page and a Web Worker. */
import { createKernelPool } from '../src/kernels/index.ts';

const $ = (id: string) => document.getElementById(id)!;

$('score').addEventListener('click', async () => {
  const out = $('score-result');
  out.dataset.state = 'running';
  out.textContent = 'starting worker...';
  const pool = createKernelPool({ size: 1 });
  try {
    await pool.start();
    const features = 32;
    const rank = 8;
    const count = 1000;
    const candidates = Float32Array.from({ length: count * features }, (_, i) => Math.sin(i * 0.37));
    const weights = Float32Array.from({ length: features }, (_, j) => (j % 5) / 5 - 0.3);
    const a = Float32Array.from({ length: features * rank }, (_, i) => Math.cos(i) * 0.1);
    const b = Float32Array.from({ length: rank }, (_, k) => 0.05 * (k + 1));
    const started = performance.now();
    const result = await pool.run('score', [{ features, rank, candidates, weights, a, b, temperature: 1 }]);
    const ms = performance.now() - started;
    out.textContent =
      `best candidate: #${result.best} (score ${result.scores[result.best].toFixed(4)}, ` +
      `p = ${result.probabilities[result.best].toFixed(4)})\n${count} candidates scored in ${ms.toFixed(1)} ms (round trip)`;
    out.dataset.state = 'done';
  } catch (error) {
    out.textContent = `failed: ${(error as Error).message}`;
    out.dataset.state = 'failed';
  } finally {
    await pool.close();
  }
});

$('heal').addEventListener('click', async () => {
  const out = $('heal-result');
  out.dataset.state = 'running';
  out.textContent = 'building the engine...';
  try {
    const [{ runHealing }, { createEngineParts }] = await Promise.all([
      import('../src/run/healing-run.ts'),
      import('../src/run/defaults.ts'),
    ]);
    const started = performance.now();
    const { report } = await runHealing({
      nodes: 30,
      hours: 1,
      faultsPerKind: 1,
      seed: 7,
      ...(await createEngineParts()),
      progressEvery: 300,
      onProgress: (tick, total) => (out.textContent = `simulated ${tick} of ${total} s...`),
    });
    const rows = Object.entries(report.byKind)
      .map(
        ([kind, r]) =>
          `<tr><td>${kind}</td><td>${r.injected}</td><td>${r.detected}</td><td>${r.mttdMedian ?? '-'}</td><td>${r.healed}</td><td>${r.mttrMedian ?? '-'}</td></tr>`,
      )
      .join('');
    out.innerHTML =
      `<table><tr><th>fault kind</th><th>injected</th><th>detected</th><th>ttd p50</th><th>healed</th><th>ttr p50</th></tr>${rows}</table>` +
      `<p>${report.overall.actions} actions, ${report.overall.falseAlarms} false alarms, ` +
      `${((performance.now() - started) / 1000).toFixed(1)} s in this page</p>`;
    out.dataset.state = 'done';
  } catch (error) {
    out.textContent = `failed: ${(error as Error).message}`;
    out.dataset.state = 'failed';
  }
});
