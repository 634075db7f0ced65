/**
 * A fault id is a typed union derived from the catalogue (faults/): the TypeScript compiler, with the
 * project's tsconfig, rejects a snippet that names an unknown id and accepts the same snippet with a known
 * one. The snippet is an in-memory file inside the repo (nothing is written).
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import ts from 'typescript';
import { FAULTS, FAULT_IDS, closestFaultId, faultDef, faultIdParam, isFaultId } from '../../faults/index.ts';

const root = join(import.meta.dirname, '..', '..');
/** the previous program, so the second compile reuses the parsed project files */
let previous: ts.Program | undefined;

function compile(source: string): string[] {
  const cfg = ts.getParsedCommandLineOfConfigFile(
    join(root, 'tsconfig.json'),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
      },
    },
  );
  if (!cfg) throw new Error('tsconfig.json did not parse');
  const file = join(root, 'test', 'faults', '__snippet__.ts');
  const host = ts.createCompilerHost(cfg.options);
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (name, lang, ...rest) =>
    name === file ? ts.createSourceFile(name, source, lang) : getSourceFile(name, lang, ...rest);
  const fileExists = host.fileExists.bind(host);
  host.fileExists = (name) => name === file || fileExists(name);
  const program = ts.createProgram([file], cfg.options, host, previous);
  previous = program;
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === file)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

const snippet = (id: string): string =>
  [
    "import type { FaultId } from '../../faults/index.ts';",
    "import { switchFault } from '../../harness/scenario-kit/egressip.ts';",
    "import type { TestContext } from '../../harness/runner/scenario.ts';",
    `export const id: FaultId = '${id}';`,
    `export const on = (t: TestContext<unknown>) => switchFault(t, '${id}');`,
  ].join('\n');

describe('FaultId', () => {
  it('typecheck fails on an unknown fault id and passes on a known one', () => {
    const bad = compile(snippet('eip-stale-snat-lrp-after-failvoer'));
    expect(bad.length).toBe(2);
    for (const m of bad) expect(m).toMatch(/'"eip-stale-snat-lrp-after-failvoer"' is not assignable to (parameter of )?type 'FaultId'/);
    expect(compile(snippet('eip-stale-snat-lrp-after-failover'))).toEqual([]);
  }, 120_000);

  it('is derived from the catalogue: ids are unique, every id resolves, nothing else does', () => {
    expect(FAULT_IDS.length).toBe(FAULTS.length);
    expect(new Set(FAULT_IDS).size).toBe(FAULT_IDS.length);
    for (const id of FAULT_IDS) {
      expect(isFaultId(id)).toBe(true);
      expect(faultDef(id).id).toBe(id);
    }
    expect(isFaultId('eip-stale-snat-lrp-after-failvoer')).toBe(false);
    expect(isFaultId('')).toBe(false);
  });

  it('the scenario param accepts a known id or none, and rejects a typo naming what was expected', () => {
    expect(faultIdParam.parse(undefined)).toBe('');
    expect(faultIdParam.parse('stale-sb')).toBe('stale-sb');
    const r = faultIdParam.safeParse('stale-sbb');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0]?.message).toBe(
      "'stale-sbb' is not a fault id of the catalogue (did you mean 'stale-sb'?); the ids are in sim/ovnkube/FAULTS.md, '' switches none",
    );
    expect(faultIdParam.safeParse('no-such-thing-at-all').error?.issues[0]?.message).not.toMatch(/did you mean/);
    expect(closestFaultId('eip-stale-snat-lrp-after-failvoer')).toBe('eip-stale-snat-lrp-after-failover');
  });
});
