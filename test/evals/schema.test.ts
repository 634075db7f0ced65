import { describe, it, expect } from 'vitest';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import {
  CASES_DIR,
  CaseLoadError,
  checkReferences,
  loadCaseFile,
  loadCases,
  parseCase,
  resolveCaseFiles,
} from '../../evals/cases/loader.ts';
import { drawTargets, renderCase, trialSeed, type TargetEnv } from '../../evals/cases/targets.ts';
import { isHealthyTruth, type EvalCaseInput } from '../../evals/cases/schema.ts';
import { CATEGORY_IDS, CATEGORIES, HEALTHY, normaliseCategory } from '../../evals/taxonomy.ts';
import { EVAL_CASE_SCHEMA_FILE, renderEvalCaseSchema } from '../../schemas/eval-case.ts';
import { renderTaxonomyMarkdown, TAXONOMY_BEGIN, TAXONOMY_END } from '../../evals/docs.ts';
import { runCli } from '../support/cli.ts';
import { listChecks } from '../../harness/checks/registry.ts';

const base: EvalCaseInput = {
  id: 'x-case',
  title: 'a case',
  tags: { layer: 'ovn', difficulty: 'easy' },
  setup: { fixture: 'plain' },
  targets: { node: { pool: 'workers' } },
  fault: [{ kind: 'library', id: 'northd-down', params: { node: '{{node}}' } }],
  gate: { all: [{ kind: 'node', name: '{{node}}', ready: true }] },
  question: 'something is off on {{node}}',
  truth: {
    category: 'ovn/process-down',
    entities: [{ kind: 'node', name: '{{node}}' }],
    mechanism: { items: [{ id: 'a', text: 'a', any: ['northd down'] }] },
    remediation: { items: [{ id: 'b', text: 'b', any: ['restart* northd'] }] },
  },
};

function parseWith(patch: (c: Record<string, unknown>) => void): unknown {
  const c = structuredClone(base) as unknown as Record<string, unknown>;
  patch(c);
  return parseCase(stringify(c), 'cases/x-case.yaml');
}

function errorOf(fn: () => unknown): CaseLoadError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CaseLoadError) return err;
    throw err;
  }
  throw new Error('expected a CaseLoadError');
}

const env = (pools: Record<string, string[]>): TargetEnv => ({
  pool: (n) => pools[n] ?? [],
  derive: (kind, of) => `${kind}(${of})`,
});

describe('eval case format', () => {
  it('the shipped cases load, and their references (checks, finding kinds) exist', () => {
    const cases = loadCases();
    expect(cases.length).toBeGreaterThanOrEqual(3);
    expect(cases.some((c) => isHealthyTruth(c.case.truth))).toBe(true);
    expect(cases.some((c) => !isHealthyTruth(c.case.truth))).toBe(true);
    for (const lc of cases)
      checkReferences(lc, {
        checks: listChecks().map((c) => ({ name: c.name, findingKinds: Object.keys(c.findingKinds) })),
      });
  });

  it('the suite: at least 30 cases and 5 no-fault controls, spread over every layer and difficulty and every fault kind', () => {
    const cases = loadCases().map((lc) => lc.case);
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(cases.filter((c) => isHealthyTruth(c.truth)).length).toBeGreaterThanOrEqual(5);
    const faults = cases.filter((c) => !isHealthyTruth(c.truth));
    for (const layer of ['k8s', 'ovnkube', 'ovn', 'ovs', 'kernel', 'ptp']) {
      expect(faults.filter((c) => c.tags.layer === layer).length, `fault cases of layer ${layer}`).toBeGreaterThanOrEqual(1);
      expect(cases.filter((c) => c.tags.layer === layer).length, `cases of layer ${layer}`).toBeGreaterThanOrEqual(2);
    }
    for (const d of ['easy', 'medium', 'hard'])
      expect(faults.filter((c) => c.tags.difficulty === d).length, `${d} fault cases`).toBeGreaterThanOrEqual(3);
    const kinds = new Set<string>(cases.flatMap((c) => c.fault.map((f) => f.kind)));
    for (const k of ['library', 'chaos', 'node-action', 'exec', 'k8s']) expect(kinds.has(k), `a case with a ${k} fault step`).toBe(true);
    const gates = new Set<string>(cases.flatMap((c) => c.gate.all.map((g) => g.kind)));
    for (const g of ['finding', 'check-passes', 'metric', 'pod', 'node', 'exec']) expect(gates.has(g), `a case gated on ${g}`).toBe(true);
  });

  it('a valid case parses with defaults filled in', () => {
    const c = parseCase(stringify(base), 'x.yaml');
    expect(c.liveSafe).toBe(false);
    expect(c.gate.timeoutS).toBe(180);
    expect(c.heal).toEqual([]);
    expect(!isHealthyTruth(c.truth) && c.truth.requires).toEqual(['detection', 'localization', 'category', 'mechanism']);
  });

  it.each([
    ['an unknown layer', (c: Record<string, unknown>) => ((c.tags as Record<string, unknown>).layer = 'network'), 'tags.layer'],
    [
      'a category outside the taxonomy',
      (c: Record<string, unknown>) => ((c.truth as Record<string, unknown>).category = 'ovn/bad-luck'),
      'truth.category',
    ],
    [
      'healthy as a fault category',
      (c: Record<string, unknown>) => ((c.truth as Record<string, unknown>).category = 'healthy'),
      'truth.category',
    ],
    ['an undeclared placeholder', (c: Record<string, unknown>) => (c.question = 'on {{nod}}'), 'question'],
    ['an unknown key', (c: Record<string, unknown>) => (c.answer = 'x'), ''],
    [
      'an empty entity name',
      (c: Record<string, unknown>) => ((c.truth as { entities: { name: string }[] }).entities[0]!.name = ''),
      'truth.entities.0.name',
    ],
    [
      'a patch without patch',
      (c: Record<string, unknown>) => (c.fault = [{ kind: 'k8s', op: 'patch', object: { apiVersion: 'v1', kind: 'Node', name: 'n' } }]),
      'fault.0.patch',
    ],
    ['a control with fault steps', (c: Record<string, unknown>) => (c.truth = { healthy: true }), 'fault'],
    ['a fault case without steps', (c: Record<string, unknown>) => (c.fault = []), 'fault'],
    [
      'a derivation of an undeclared target',
      (c: Record<string, unknown>) => (c.targets = { pod: { derive: 'pod-node', of: 'x' }, node: { pool: 'workers' } }),
      'targets.pod',
    ],
    ['an unknown pool', (c: Record<string, unknown>) => (c.targets = { node: { pool: 'masters' } }), 'targets.node'],
    ['a question naming the fault id', (c: Record<string, unknown>) => (c.question = 'is northd-down on {{node}}?'), 'question'],
    ['a question naming the fault class', (c: Record<string, unknown>) => (c.question = 'which process-down on {{node}}?'), 'question'],
    ['an empty gate', (c: Record<string, unknown>) => (c.gate = { all: [] }), 'gate.all'],
    [
      'a chaos manifest of another API',
      (c: Record<string, unknown>) =>
        (c.fault = [{ kind: 'chaos', manifest: { apiVersion: 'v1', kind: 'PodChaos', metadata: { name: 'a' }, spec: {} } }]),
      'fault.0.manifest.apiVersion',
    ],
  ])('rejects %s, naming the file and field', (_what, patch, field) => {
    const e = errorOf(() => parseWith(patch));
    expect(e.file).toBe('cases/x-case.yaml');
    expect(e.field).toBe(field);
    expect(e.message.startsWith(`cases/x-case.yaml: ${field ? `${field}: ` : ''}`)).toBe(true);
  });

  it('invalid YAML names the line; a file whose name differs from its id is rejected', () => {
    const e = errorOf(() => parseCase('id: a\n  title: [x', 'bad.yaml'));
    expect(e.message).toMatch(/^bad\.yaml: line \d+, column \d+: invalid YAML/);
    const dir = mkdtempSync(join(tmpdir(), 'cases-'));
    writeFileSync(join(dir, 'other.yaml'), stringify(base));
    expect(errorOf(() => loadCaseFile(join(dir, 'other.yaml'))).field).toBe('id');
  });

  it.each([
    ['an empty file', ''],
    ['a list', '- id: a\n'],
    ['a scalar', 'hello'],
    [
      'an alias bomb',
      `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
    ],
    ['a duplicate key', 'id: a\nid: b\n'],
    ['a number as the id', stringify({ ...base, id: 7 })],
  ])('rejects %s with an error naming the file', (_what, text) => {
    expect(errorOf(() => parseCase(text, 'evil.yaml')).message).toMatch(/^evil\.yaml: /);
  });

  it('duplicate ids across files and unknown references are load errors', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cases-'));
    writeFileSync(join(dir, 'x-case.yaml'), stringify(base));
    const lc = loadCaseFile(join(dir, 'x-case.yaml'));
    expect(errorOf(() => checkReferences(lc, { faultIds: ['stale-sb'] })).field).toBe('fault.0.id');
    checkReferences(lc, {}); // northd-down is in the catalogue (faults/index.ts)
    checkReferences(lc, { faultIds: null });
    writeFileSync(join(dir, 'x-case.yaml'), stringify({ ...base, fault: [{ kind: 'library', id: 'no-such-fault' }] }));
    expect(errorOf(() => checkReferences(loadCaseFile(join(dir, 'x-case.yaml')), {})).message).toMatch(
      /'no-such-fault' is not a fault of the library/,
    );
    const withFinding = { ...base, gate: { all: [{ kind: 'finding', check: 'egressip', findingKind: 'no-such-kind' }] } };
    writeFileSync(join(dir, 'x-case.yaml'), stringify(withFinding));
    const lc2 = loadCaseFile(join(dir, 'x-case.yaml'));
    expect(errorOf(() => checkReferences(lc2, { checks: [{ name: 'egressip', findingKinds: ['stale-snat'] }] })).field).toBe(
      'gate.all.0.findingKind',
    );
    expect(resolveCaseFiles(join(dir, '*.yaml'))).toHaveLength(1);
    expect(() => resolveCaseFiles(join(dir, 'nothing-*.yaml'))).toThrow(/matches no \.yaml file/);
  });

  it('targets are drawn from the seed, reproducibly, honouring distinctFrom, and rendered everywhere', async () => {
    const c = parseCase(
      stringify({
        ...base,
        targets: {
          node: { pool: 'workers' },
          other: { pool: 'workers', distinctFrom: ['node'] },
          pod: { derive: 'ovnkube-node-pod', of: 'node' },
        },
      }),
      'x.yaml',
    );
    const e = env({ workers: ['worker-3', 'worker-1', 'worker-2'] });
    const draws = await Promise.all([...Array(40).keys()].map((i) => drawTargets(c, trialSeed(7, c.id, i), e)));
    for (const d of draws) {
      expect(d.values.node).not.toBe(d.values.other);
      expect(d.values.pod).toBe(`ovnkube-node-pod(${d.values.node})`);
      expect(d.pools.workers).toEqual(['worker-1', 'worker-2', 'worker-3']);
    }
    expect(new Set(draws.map((d) => d.values.node)).size).toBe(3);
    // same seed, same draw, whatever the pool order
    const again = await drawTargets(c, draws[5]!.seed, env({ workers: ['worker-2', 'worker-3', 'worker-1'] }));
    expect(again.values).toEqual(draws[5]!.values);
    const r = renderCase(c, draws[0]!);
    expect(r.question).toBe(`something is off on ${draws[0]!.values.node}`);
    expect(JSON.stringify(r)).not.toContain('{{');
    await expect(drawTargets(c, 1, env({ workers: ['only'] }))).rejects.toThrow(/no member besides only/);
  });

  it('the taxonomy is two-level and fixed; categories normalise', () => {
    for (const c of CATEGORIES) expect(c.id).toBe(`${c.layer}/${c.faultClass}`);
    expect(CATEGORY_IDS).toContain(HEALTHY);
    expect(new Set(CATEGORY_IDS).size).toBe(CATEGORY_IDS.length);
    expect(normaliseCategory(' OVNKube / Stale_Entry ')).toBe('ovnkube/stale-entry');
  });

  it('evals/README.md lists the taxonomy as evals/taxonomy.ts defines it (npx tsx evals/docs.ts)', () => {
    const readme = readFileSync(join(CASES_DIR, '..', 'README.md'), 'utf8');
    const a = readme.indexOf(TAXONOMY_BEGIN);
    const b = readme.indexOf(TAXONOMY_END);
    expect(a, 'taxonomy block missing from evals/README.md').toBeGreaterThanOrEqual(0);
    // prettier pads table cells: compare with cell padding collapsed
    const norm = (t: string): string =>
      t
        .split('\n')
        .map((l) => l.replace(/\s+/g, ' ').replace(/-{3,}/g, '---').trim())
        .join('\n');
    expect(norm(readme.slice(a, b + TAXONOMY_END.length))).toBe(norm(renderTaxonomyMarkdown()));
  });

  it('the committed JSON Schema is current (npm run schemas)', () => {
    expect(readFileSync(join(CASES_DIR, '..', '..', 'schemas', EVAL_CASE_SCHEMA_FILE), 'utf8')).toBe(renderEvalCaseSchema());
  });

  it('eval list --json lists id, title, layer, tags and control; a bad case exits 2 naming file and field', async () => {
    const r = await runCli(['eval', 'list', '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { id: string; layer: string; control: boolean; tags: string[]; title: string }[];
    expect(rows.map((x) => x.id)).toEqual(loadCases().map((c) => c.case.id));
    expect(rows.find((x) => x.control)).toBeDefined();
    const dir = mkdtempSync(join(tmpdir(), 'cases-'));
    writeFileSync(join(dir, 'x-case.yaml'), stringify({ ...base, tags: { layer: 'dns', difficulty: 'easy' } }));
    const bad = await runCli(['eval', 'list', '--cases', join(dir, '*.yaml')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/x-case\.yaml: tags\.layer: /);
  });
});
