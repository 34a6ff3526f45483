// A NAB corpus at a coarser sampling rate (src/analyze/nab/coarsen.ts): rows averaged in groups,
// stamped with the group's first row, a short last group dropped, spikes kept at 1/k height.
import { describe, expect, it } from 'vitest';
import { coarsenCorpus } from '../src/analyze/nab/coarsen.ts';
import { parseNabCsv } from '../src/analyze/nab/csv.ts';
import { ArgumentError } from '../src/errors.ts';

const csv = [
  'timestamp,value',
  '2014-01-01 00:00:00,1',
  '2014-01-01 00:05:00,3',
  '2014-01-01 00:10:00,10',
  '2014-01-01 00:15:00,30',
  '2014-01-01 00:20:00,x',
  '2014-01-01 00:25:00,2',
  '2014-01-01 00:30:00,7',
].join('\n');
const file = { key: 'c/f.csv', table: parseNabCsv(csv, 'c/f.csv') };

describe('coarsenCorpus', () => {
  it('averages rows in groups, stamps each with its first row and drops a short last group', () => {
    const [coarse] = coarsenCorpus([file], 2);
    expect(Array.from(coarse.table.columns.value)).toEqual([2, 20, Number.NaN]);
    expect(coarse.table.stamps).toEqual([
      '2014-01-01 00:00:00',
      '2014-01-01 00:10:00',
      '2014-01-01 00:20:00',
    ]);
    expect(Array.from(coarse.table.time)).toEqual([0, 2, 4].map((i) => file.table.time[i]));
    expect(coarse.table.issues).toBe(file.table.issues);
    expect(coarse.key).toBe('c/f.csv');
  });

  it('is the identity at k = 1 and refuses a k that is not a positive integer', () => {
    const [same] = coarsenCorpus([file], 1);
    expect(Array.from(same.table.columns.value)).toEqual(Array.from(file.table.columns.value));
    for (const k of [0, 1.5, -2]) expect(() => coarsenCorpus([file], k)).toThrow(ArgumentError);
  });
});
