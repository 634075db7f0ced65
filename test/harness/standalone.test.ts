/**
 * The repo stands alone (issue 9 item 9): no tracked file points at notes kept outside the repo (the sibling
 * folder they live in, their numbered sections). Facts cite their upstream source where they are used.
 * The patterns and probes are assembled at run time, so this file passes its own scan.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');

/** What a reference outside the repo looks like. Built from parts so this file does not match itself. */
const OUTSIDE = [
  new RegExp(['\\.\\.', 'shared'].join('/')), // a parent-relative path into the sibling folder, at any depth
  new RegExp(['/work', 'shared'].join('/')),
  new RegExp(`\\b${'res'}earch\\b`, 'i'), // the notes' name: a section reference, "... notes", a field of that name
];

function trackedFiles(): string[] {
  const out = execFileSync('git', ['ls-files', '-z'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return out.split('\0').filter(Boolean);
}

function outsideReferences(path: string, text: string): string[] {
  const hits: string[] = [];
  text.split('\n').forEach((line, i) => {
    if (OUTSIDE.some((re) => re.test(line))) hits.push(`${path}:${i + 1}: ${line.trim().slice(0, 120)}`);
  });
  return hits;
}

describe('the repo stands alone', () => {
  it('no tracked file refers to the notes outside the repo', () => {
    const hits: string[] = [];
    for (const f of trackedFiles()) {
      let text: string;
      try {
        text = readFileSync(join(ROOT, f), 'utf8');
      } catch {
        continue; // deleted in the working tree
      }
      if (text.includes('\0')) continue; // binary
      hits.push(...outsideReferences(f, text));
    }
    expect(hits).toEqual([]);
  });

  it('the detector finds each shape of reference', () => {
    const probe = [
      `see ${['..', 'shared'].join('/')}/DESIGN.md`,
      `from ${['/work', 'shared'].join('/')}/seeds`,
      `as in ${'Res'}earch §4`,
      `${'res'}earch: "x"`,
      'the MCP SDK shared/transport.js',
    ];
    expect(outsideReferences('x.ts', probe.join('\n')).map((h) => h.split(':')[1])).toEqual(['1', '2', '3', '4']);
  });
});
