/**
 * A NAB corpus at a coarser sampling rate: each file's rows averaged in consecutive groups. The
 * held-out files of NAB's categories come at other rates and lengths than the ones a detector
 * was tuned on; a design whose score collapses when the same series are sampled half as often
 * depends on the row count of its time constants, which new files will not share. Windows are
 * in timestamps, so they apply to the coarsened files unchanged.
 */
import { ArgumentError } from '../../errors.ts';
import type { NabFile } from './runner.ts';

/**
 * Each file with its rows averaged in consecutive groups of `k` (integer >= 1): a group is
 * stamped with its first row's timestamp and its value is the mean of its rows (NaN if one is
 * unreadable); a trailing group shorter than `k` is dropped. Averaging rather than keeping
 * every k-th row keeps a one-row spike in the data, at 1/k of its height, instead of dropping it
 * k-1 times in k. The tables keep only the `value` column and carry the files' reading issues.
 */
export function coarsenCorpus(files: readonly NabFile[], k: number): NabFile[] {
  if (!Number.isInteger(k) || k < 1) throw new ArgumentError('k', `expected an integer >= 1, got ${k}`);
  return files.map(({ key, table }) => {
    const values = table.columns.value;
    if (!values) throw new ArgumentError(key, "no 'value' column");
    const rows = Math.floor(values.length / k);
    const time = new Float64Array(rows);
    const value = new Float64Array(rows);
    const stamps: string[] = [];
    for (let i = 0; i < rows; i++) {
      let sum = 0;
      for (let j = 0; j < k; j++) sum += values[i * k + j];
      value[i] = sum / k;
      time[i] = table.time[i * k];
      stamps.push(table.stamps[i * k]);
    }
    return { key, table: { stamps, time, columns: { value }, issues: table.issues } };
  });
}
