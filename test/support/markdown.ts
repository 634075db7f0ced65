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
