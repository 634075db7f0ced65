/**
 * A finding kind outside its check's vocabulary is a type error. Two ways: the `@ts-expect-error` lines below are
 * compiled by `npm run typecheck` (an expected error that goes away fails it), and the test compiles the same
 * cases without the directives through the TypeScript compiler API and asserts each one is rejected, and only those.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import type { Check, CheckFinding } from '../../harness/checks/types.ts';
import type { FindingInput } from '../../harness/store/store.ts';
import type { Finding } from '../../harness/runner/scenario.ts';
import { tempDir } from '../support/tmp.ts';

const root = join(import.meta.dirname, '..', '..');

// ---- compiled by `npm run typecheck` ----
export const knownKinds: FindingInput[] = [
  { kind: 'stale-snat', node: 'w1', egressip: 'e1' },
  { check: 'egressip', kind: 'unowned-snat', subject: 'node/w1' },
  { check: 'ptp', kind: 'clock-not-locked', node: 'w1', labels: { profile: 'slave' } },
  { kind: 'egressip-not-failed-over', egressip: 'e1', node: 'w1' },
];
// @ts-expect-error 'stale-snapt' is no check's kind
export const typo: Finding = { kind: 'stale-snapt', node: 'w1' };
// @ts-expect-error 'stale-snat' is an egressip kind, not a ptp one
export const otherCheck: Finding = { check: 'ptp', kind: 'stale-snat' };
export const evaluateOnly = (): CheckFinding<'a' | 'b'>[] => [
  { kind: 'a', subject: 'x', message: 'ok' },
  // @ts-expect-error 'c' is outside the check's vocabulary 'a' | 'b'
  { kind: 'c', subject: 'x', message: 'not in the vocabulary' },
];
export type UnusedCheck = Check<z.ZodObject<{ n: z.ZodNumber }>, number, 'a'>;

// ---- the same cases without the directives, through the compiler API ----
const SNIPPET = `
import type { Check } from '${root}/harness/checks/types.ts';
import type { FindingInput } from '${root}/harness/store/store.ts';
import type { Finding } from '${root}/harness/runner/scenario.ts';
export const ok: FindingInput[] = [{ kind: 'stale-snat' }, { check: 'ptp', kind: 'clock-not-locked' }, { kind: 'ptp-not-relocked' }];
export const typo: Finding = { kind: 'stale-snapt', node: 'w1' };
export const otherCheck: Finding = { check: 'ptp', kind: 'stale-snat' };
export const unit: Check<never, number, 'a' | 'b'> = {
  name: 'x', description: 'x', findingKinds: { a: 'A', b: 'B' }, params: null as never,
  collect: async () => 1,
  evaluate: () => [{ kind: 'c', subject: 'x', message: 'm' }],
  summarise: () => ({ headline: 'x', counts: {} }),
};
export const vocabulary: Check<never, number, 'a' | 'b'>['findingKinds'] = { a: 'A', b: 'B', c: 'C' };
`;

describe('finding kinds are typed by their check', () => {
  it('rejects an unknown kind, another check kind and a kind outside a unit vocabulary (and nothing else)', () => {
    const dir = tempDir('nh-kind-types-');
    const file = join(dir, 'kinds.ts');
    writeFileSync(file, SNIPPET);
    const cfg = ts.readConfigFile(join(root, 'tsconfig.json'), (p) => ts.sys.readFile(p));
    const parsed = ts.parseJsonConfigFileContent(cfg.config, ts.sys, root);
    const program = ts.createProgram([file], { ...parsed.options, noEmit: true, typeRoots: [join(root, 'node_modules', '@types')] });
    const diags = ts.getPreEmitDiagnostics(program).filter((d) => d.file?.fileName === file);
    const lines = diags.map((d) => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      return { line: SNIPPET.split('\n')[line], text: ts.flattenDiagnosticMessageText(d.messageText, '\n') };
    });
    const at = (needle: string) => lines.filter((l) => l.line.includes(needle));
    expect(at("'stale-snapt'").length, JSON.stringify(lines, null, 1)).toBe(1);
    expect(at("'stale-snapt'")[0].text).toMatch(/stale-snapt/);
    expect(at("check: 'ptp', kind: 'stale-snat'").length).toBe(1);
    expect(at("kind: 'c'").length).toBe(1);
    expect(at("c: 'C'").length).toBe(1);
    expect(at('export const ok').length, 'the valid kinds compile').toBe(0);
    expect(lines, JSON.stringify(lines, null, 1)).toHaveLength(4);
  }, 120_000);
});
