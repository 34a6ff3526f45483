// The detector kernel's scalar build (build/detector.scalar.wasm, the fallback for runtimes
// without SIMD) gives the SIMD build's scores bit for bit, on a NAB series and on noise.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DetectorBank } from '../src/kernels/detector/detector.ts';
import { parseNabCsv } from '../src/analyze/nab/csv.ts';

const scalar = new WebAssembly.Module(
  readFileSync(new URL('../build/detector.scalar.wasm', import.meta.url)),
);

async function both(time: Float64Array, values: Float64Array): Promise<[number[], number[]]> {
  const simd = await DetectorBank.create(1, { backend: 'wasm' });
  const plain = await DetectorBank.create(1, { backend: 'wasm', module: scalar });
  return [Array.from(simd.updateSeries(0, time, values)), Array.from(plain.updateSeries(0, time, values))];
}

describe('detector kernel, scalar build', () => {
  it('equals the SIMD build on a NAB series', async () => {
    const text = readFileSync(
      new URL('./fixtures/nab/data/realTraffic/speed_7578.csv', import.meta.url),
      'utf8',
    );
    const table = parseNabCsv(text, 'speed_7578.csv');
    const [simd, plain] = await both(table.time, table.columns.value);
    expect(plain).toEqual(simd);
    expect(simd.some((s) => s > 0.5)).toBe(true);
  });

  it('equals the SIMD build on seeded noise with jumps', async () => {
    let seed = 99;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    const values = Float64Array.from({ length: 4000 }, (_, i) => random() * 10 + (i > 3000 ? 50 : 0));
    const time = Float64Array.from({ length: 4000 }, (_, i) => i);
    const [simd, plain] = await both(time, values);
    expect(plain).toEqual(simd);
  });
});
