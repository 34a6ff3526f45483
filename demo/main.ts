/** The playground: the same package code the CLI runs, in a browser page and a Web Worker. */
import { createKernelPool } from '../src/runtime/kernel-pool.ts';

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
