/** Reading the README's generated tables in drift tests. */

/** Markdown table rows as trimmed cells; separator rows dropped (prettier pads the README's columns). */
export function tableCells(md: string): string[][] {
  return md
    .split('\n')
    .filter((l) => l.startsWith('|') && !/^\|[\s|:-]+\|$/.test(l))
    .map((l) =>
      l
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((c) => c.trim()),
    );
}

/**
 * The generated block between `begin` and `end` in a README, as table cells: what a drift test compares with
 * the block rendered from the registry (cells, not padding: prettier aligns the README's columns).
 */
export function readmeBlockCells(readme: string, begin: string, end: string): string[][] {
  const i = readme.indexOf(begin);
  const j = readme.indexOf(end);
  if (i < 0 || j < i) throw new Error(`the README has no ${begin.slice(0, 24)}... ${end} block`);
  return tableCells(readme.slice(i, j + end.length));
}
