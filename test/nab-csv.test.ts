// Issue 18, finding 9: NAB CSVs are read strictly. Quoted numbers are numbers, cells that are not
// numbers are counted per column and line (or, strict, an error), a column named twice is an
// error, and clocks that go back or repeat (NAB's files at daylight-saving changes) are accepted
// and counted instead of stopping the run.
import { describe, expect, it } from 'vitest';
import { describeIssues, parseNabCsv } from '../src/analyze/nab/csv.ts';
import { ArgumentError } from '../src/errors.ts';

const values = (text: string) => Array.from(parseNabCsv(text, 'x.csv').columns.value);

describe('parseNabCsv', () => {
  it('reads quoted fields as their contents: "1.5" is 1.5', () => {
    const text = 'timestamp,value\n"2014-01-01 00:00:00","1.5"\n2014-01-01 00:05:00," 2e3 "\r\n';
    const table = parseNabCsv(text, 'x.csv');
    expect(Array.from(table.columns.value)).toEqual([1.5, 2000]);
    expect(table.stamps).toEqual(['2014-01-01 00:00:00', '2014-01-01 00:05:00']);
    expect(table.issues).toEqual({
      unreadable: {},
      unreadableRows: 0,
      unreadableLines: [],
      backwards: 0,
      repeated: 0,
    });
    expect(describeIssues(table.issues)).toBe('');
  });

  it('keeps commas, quotes and line breaks inside quoted fields', () => {
    const table = parseNabCsv('timestamp,note,value\n2014-01-01 00:00:00,"a, ""b""\nc",7\n', 'x.csv');
    expect(Array.from(table.columns.value)).toEqual([7]);
    expect(table.issues.unreadable).toEqual({ note: 1 });
    expect(() => parseNabCsv('timestamp,value\n2014-01-01 00:00:00,"7\n', 'x.csv')).toThrow(/never closed/);
  });

  it('counts every cell that is not a decimal number, per column, with its line', () => {
    const cells = ['abc', '', 'NaN', '0x10', '"1,5"', 'Infinity', ' ', '4'];
    const text = `timestamp,value\n${cells.map((c, i) => `2014-01-01 00:0${i}:00,${c}`).join('\n')}\n`;
    const table = parseNabCsv(text, 'x.csv');
    expect(Array.from(table.columns.value.subarray(0, 7)).every(Number.isNaN)).toBe(true);
    expect(table.columns.value[7]).toBe(4);
    expect(table.issues.unreadable).toEqual({ value: 7 });
    expect(table.issues.unreadableRows).toBe(7);
    expect(table.issues.unreadableLines).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expect(describeIssues(table.issues)).toBe(
      '7 unreadable cells (value 7; lines 2, 3, 4, 5, 6, 7, 8), read as missing',
    );
  });

  it('with strict, the first unreadable cell is an error naming its line and column', () => {
    const text = 'timestamp,value\n2014-01-01 00:00:00,1\n2014-01-01 00:05:00,abc\n';
    expect(() => parseNabCsv(text, 'x.csv', { strict: true })).toThrow(
      /x\.csv: line 3: value: expected a number, got 'abc'/,
    );
    const stamp = 'timestamp,value\nyesterday,1\n';
    expect(() => parseNabCsv(stamp, 'x.csv', { strict: true })).toThrow(/line 2: timestamp/);
    expect(parseNabCsv(stamp, 'x.csv').issues.unreadable).toEqual({ timestamp: 1 });
  });

  it('refuses a column named twice', () => {
    const text = 'timestamp,value,value\n2014-01-01 00:00:00,1,999\n';
    expect(() => parseNabCsv(text, 'x.csv')).toThrow(ArgumentError);
    expect(() => parseNabCsv(text, 'x.csv')).toThrow(/column 'value' appears more than once/);
    expect(() => parseNabCsv('timestamp,"value",value\n', 'x.csv')).toThrow(/'value'/);
  });

  it('accepts a clock that goes back or repeats (a daylight-saving change), in file order, and counts it', () => {
    const stamps = [
      '2014-11-02 00:00:00',
      '2014-11-02 01:00:00',
      '2014-11-02 01:30:00',
      '2014-11-02 01:00:00', // clocks set back an hour
      '2014-11-02 01:15:00', // still before 01:30
      '2014-11-02 02:00:00',
      '2014-11-02 02:00:00', // repeated
    ];
    const table = parseNabCsv(`timestamp,value\n${stamps.map((s, i) => `${s},${i}`).join('\n')}\n`, 'x.csv');
    expect(Array.from(table.columns.value)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(table.time[3]).toBeLessThan(table.time[2]);
    expect(table.issues.backwards).toBe(2);
    expect(table.issues.repeated).toBe(1);
    expect(describeIssues(table.issues)).toBe('2 timestamps going back, 1 repeated timestamp');
  });

  it('still refuses what is not a NAB table: wrong first column, ragged rows, nothing at all', () => {
    expect(() => parseNabCsv('time,value\n', 'x.csv')).toThrow(/first column must be 'timestamp'/);
    expect(() => parseNabCsv('timestamp,value\n2014-01-01 00:00:00\n', 'x.csv')).toThrow(
      /line 2: expected 2 cells/,
    );
    expect(() => parseNabCsv('\n\n', 'x.csv')).toThrow(/empty CSV/);
    expect(values('timestamp,value\n\n2014-01-01 00:00:00,3\n\n')).toEqual([3]);
  });
});
