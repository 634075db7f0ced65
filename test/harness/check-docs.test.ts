import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readmeBlockCells, tableCells } from '../support/markdown.ts';
import { CHECKS_BEGIN, CHECKS_END, checksBlock, renderChecksMarkdown } from '../../harness/checks/docs.ts';
import { listChecks } from '../../harness/checks/registry.ts';
import { projectRoot } from '../../harness/paths.ts';

const cells = tableCells;

describe("README's list of checks and finding kinds", () => {
  it('matches the registry (regenerate with: npx tsx -e "import(\'./harness/checks/docs.ts\').then(m=>console.log(m.checksBlock()))")', () => {
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    expect(readmeBlockCells(readme, CHECKS_BEGIN, CHECKS_END)).toEqual(cells(checksBlock()));
  });

  it('names every kind of every registered check', () => {
    const md = renderChecksMarkdown();
    for (const c of listChecks()) for (const k of Object.keys(c.findingKinds)) expect(md).toContain(`| \`${c.name}\` | \`${k}\` |`);
  });
});
