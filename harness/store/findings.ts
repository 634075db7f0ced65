/**
 * Findings as the results database keeps them (table `findings`, migration 3): the input shapes recordCheck takes,
 * the row getRun returns, and the mapping from one to the columns.
 */
import type { FindingKindsByCheck } from '../checks/registry.ts';
import { SCENARIO_FINDINGS } from '../checks/scenario-findings.ts';

/**
 * One finding as the store records it, generic across checks (harness/checks/types.ts CheckFinding): the check
 * whose vocabulary `kind` is from, the subject (a node, or an object as kind/ns/name), where it was seen, expected
 * vs actual, a message, and check-specific labels. The EgressIP check's own findings still carry egressip /
 * namespace / pod as fields; the store folds them into labels.
 */
export interface FindingRecord {
  /** the check unit (harness/checks/registry.ts); default: 'scenario' for a scenario expectation's kind, else the `check` of recordCheck, else the recorded check's name */
  check?: string;
  kind: string;
  /** default: derived from the EgressIP fields or the node (`pod/ns/name`, `egressip/name`, `node/name`, `cluster`) */
  subject?: string;
  node?: string;
  expected?: string;
  actual?: string;
  /** free text for humans */
  message?: string;
  labels?: Readonly<Record<string, string>>;
  egressip?: string;
  namespace?: string;
  pod?: string;
}

/**
 * A finding a scenario reports (the runner's `Finding`): its kind must be in the vocabulary of its check, so an
 * unknown kind, or another check's kind under `check`, is a type error. Checks registered at run time only (test
 * fakes) record through `FindingRecord`.
 */
export type FindingInput = {
  [C in keyof FindingKindsByCheck]: FindingRecord & { check?: C; kind: FindingKindsByCheck[C] };
}[keyof FindingKindsByCheck];

/** Labels that were EgressIP columns before schema version 3; rows still expose them as fields for older readers. */
export const LEGACY_LABELS = ['egressip', 'namespace', 'pod'] as const;

export interface FindingRow {
  id: number;
  checkId: number | null;
  check: string;
  kind: string;
  subject: string;
  node?: string;
  expected?: string;
  actual?: string;
  message?: string;
  labels: Record<string, string>;
  /** = labels.egressip / namespace / pod (columns of the EgressIP check before schema version 3) */
  egressip?: string;
  namespace?: string;
  pod?: string;
}

/** The generic columns of one finding (pure; shared by recordCheck and the migration test). */
export function findingColumns(
  f: FindingRecord,
  defaultCheck: string,
): {
  check: string;
  kind: string;
  subject: string;
  node: string | null;
  expected: string | null;
  actual: string | null;
  message: string | null;
  labels: Record<string, string>;
} {
  const labels: Record<string, string> = { ...(f.labels ?? {}) };
  for (const k of LEGACY_LABELS) if (f[k] !== undefined && labels[k] === undefined) labels[k] = f[k];
  const subject =
    f.subject ??
    (f.pod ? `pod/${f.namespace ?? ''}/${f.pod}` : f.egressip ? `egressip/${f.egressip}` : f.node ? `node/${f.node}` : 'cluster');
  return {
    // a scenario expectation's kind belongs to the pseudo-check 'scenario' (FindingKindsByCheck)
    check: f.check ?? (Object.hasOwn(SCENARIO_FINDINGS, f.kind) ? 'scenario' : defaultCheck),
    kind: f.kind,
    subject,
    node: f.node ?? null,
    expected: f.expected ?? null,
    actual: f.actual ?? null,
    message: f.message ?? null,
    labels,
  };
}
