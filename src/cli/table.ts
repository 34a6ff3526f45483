/** Plain aligned text tables for the terminal: no index column, no quotes, no box drawing. */

/** A column: its heading, and whether its cells line up on the right (figures) or the left. */
export interface Column {
  readonly title: string;
  readonly align: 'left' | 'right';
}

/**
 * The rows under a heading line and a rule, each column as wide as its widest cell, columns two
 * spaces apart, no trailing spaces.
 */
export function formatTable(columns: readonly Column[], rows: readonly (readonly string[])[]): string {
  const widths = columns.map((c, i) => Math.max(c.title.length, ...rows.map((row) => row[i].length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (columns[i].align === 'right' ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.title)), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join(
    '\n',
  );
}
