/**
 * Label and field selectors, parsed once per request into predicates.
 * Grammar follows k8s.io/apimachinery/pkg/labels and pkg/fields: label selectors take
 * =, ==, !=, in, notin, exists (key) and !exists (!key); field selectors take =, ==, !=.
 * Parse errors are ApiStatusError 400 so the server answers like the real one.
 */
import { ApiStatusError } from './errors.ts';
import type { KubeObject } from '../types.ts';

export type LabelOp = 'in' | 'notin' | 'exists' | '!exists' | '=' | '!=';

export interface LabelRequirement {
  key: string;
  op: LabelOp;
  values: string[];
}

const KEY_RE = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const VALUE_RE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

function bad(msg: string): ApiStatusError {
  return new ApiStatusError(400, 'BadRequest', msg);
}

/** Splits on commas that are not inside parentheses. */
function splitTop(s: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let cur = '';
  for (const ch of s) {
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export function parseLabelSelector(sel: string | undefined): LabelRequirement[] {
  if (!sel || !sel.trim()) return [];
  const reqs: LabelRequirement[] = [];
  for (const raw of splitTop(sel)) {
    const part = raw.trim();
    if (!part) throw bad(`unable to parse requirement: found '', expected: identifier in label selector "${sel}"`);
    let m: RegExpExecArray | null;
    if ((m = /^([^\s!=(),]+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(part))) {
      const values = m[3]
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      checkKey(m[1], sel);
      values.forEach((v) => checkValue(v, sel));
      reqs.push({ key: m[1], op: m[2] as LabelOp, values });
    } else if ((m = /^!\s*([^\s!=(),]+)$/.exec(part))) {
      checkKey(m[1], sel);
      reqs.push({ key: m[1], op: '!exists', values: [] });
    } else if ((m = /^([^\s!=(),]+)\s*(==|=|!=)\s*([^\s!=(),]*)$/.exec(part))) {
      checkKey(m[1], sel);
      checkValue(m[3], sel);
      reqs.push({ key: m[1], op: m[2] === '!=' ? '!=' : '=', values: [m[3]] });
    } else if ((m = /^([^\s!=(),]+)$/.exec(part))) {
      checkKey(m[1], sel);
      reqs.push({ key: m[1], op: 'exists', values: [] });
    } else {
      throw bad(`unable to parse requirement: "${part}" in label selector "${sel}"`);
    }
  }
  return reqs;
}

function checkKey(k: string, sel: string): void {
  if (k.length > 317 || !KEY_RE.test(k)) throw bad(`invalid label key "${k}" in label selector "${sel}"`);
}

function checkValue(v: string, sel: string): void {
  if (v.length > 63 || !VALUE_RE.test(v))
    throw bad(
      `invalid label value: "${v}" in label selector "${sel}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.'`,
    );
}

export function matchLabels(reqs: LabelRequirement[], labels: Record<string, string> | undefined): boolean {
  for (const r of reqs) {
    const has = labels !== undefined && Object.prototype.hasOwnProperty.call(labels, r.key);
    const v = has ? labels[r.key] : undefined;
    switch (r.op) {
      case 'exists':
        if (!has) return false;
        break;
      case '!exists':
        if (has) return false;
        break;
      case '=':
        if (v !== r.values[0]) return false;
        break;
      case '!=':
        if (v === r.values[0]) return false;
        break;
      case 'in':
        if (!has || !r.values.includes(v as string)) return false;
        break;
      case 'notin':
        if (has && r.values.includes(v as string)) return false;
        break;
    }
  }
  return true;
}

export interface FieldRequirement {
  path: string[];
  op: '=' | '!=';
  value: string;
}

export function parseFieldSelector(sel: string | undefined): FieldRequirement[] {
  if (!sel || !sel.trim()) return [];
  const out: FieldRequirement[] = [];
  for (const raw of sel.split(',')) {
    const part = raw.trim();
    const m = /^([A-Za-z0-9_.\-/]+)\s*(==|=|!=)\s*(.*)$/.exec(part);
    if (!m) throw bad(`invalid selector: '${sel}'; can't understand '${part}'`);
    out.push({ path: m[1].split('.'), op: m[2] === '!=' ? '!=' : '=', value: m[3] });
  }
  return out;
}

/** Field value as the apiserver's field label conversion renders it (missing -> ''). */
export function fieldValue(obj: KubeObject, path: string[]): string {
  let cur: unknown = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return '';
    cur = (cur as Record<string, unknown>)[p];
  }
  if (cur === undefined || cur === null) return '';
  if (typeof cur === 'object') return JSON.stringify(cur);
  return String(cur);
}

export function matchFields(reqs: FieldRequirement[], obj: KubeObject): boolean {
  for (const r of reqs) {
    const v = fieldValue(obj, r.path);
    if (r.op === '=' ? v !== r.value : v === r.value) return false;
  }
  return true;
}

/** One predicate for both selectors; undefined when nothing filters (fast path). */
export function compileSelectors(labelSelector?: string, fieldSelector?: string): ((o: KubeObject) => boolean) | undefined {
  const l = parseLabelSelector(labelSelector);
  const f = parseFieldSelector(fieldSelector);
  if (!l.length && !f.length) return undefined;
  return (o) => matchLabels(l, o.metadata.labels) && matchFields(f, o);
}

/**
 * Field labels each kind supports, as kube-apiserver's field label conversions and registry GetAttrs define them
 * (kubernetes/kubernetes pkg/apis/core/v1/conversion.go, pkg/apis/apps/v1/conversion.go,
 * pkg/registry/core/{pod,event,node,secret,namespace}/strategy.go). Every kind has metadata.name and
 * metadata.namespace; anything else is a 400 "field label not supported", as on a real cluster.
 */
const FIELD_LABELS: Record<string, string[]> = {
  '/pods': [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.podIPs',
    'status.nominatedNodeName',
  ],
  '/events': [
    'involvedObject.kind',
    'involvedObject.namespace',
    'involvedObject.name',
    'involvedObject.uid',
    'involvedObject.apiVersion',
    'involvedObject.resourceVersion',
    'involvedObject.fieldPath',
    'reason',
    'reportingComponent',
    'source',
    'type',
  ],
  'events.k8s.io/events': [
    'regarding.kind',
    'regarding.namespace',
    'regarding.name',
    'regarding.uid',
    'reason',
    'reportingController',
    'type',
  ],
  '/nodes': ['spec.unschedulable'],
  '/namespaces': ['status.phase'],
  '/secrets': ['type'],
  '/replicationcontrollers': ['status.replicas'],
  'apps/replicasets': ['status.replicas'],
  'batch/jobs': ['status.successful'],
  'certificates.k8s.io/certificatesigningrequests': ['spec.signerName'],
};

/** 400 naming the field when `fieldSelector` uses a label the kind does not support. */
export function checkFieldSelector(group: string, resource: string, fieldSelector: string | undefined): void {
  const allowed = new Set(['metadata.name', 'metadata.namespace', ...(FIELD_LABELS[`${group}/${resource}`] ?? [])]);
  for (const r of parseFieldSelector(fieldSelector)) {
    const label = r.path.join('.');
    if (!allowed.has(label)) throw bad(`field label not supported: ${label}`);
  }
}
