/**
 * Object validation before anything is stored: metadata (name rules per kind, labels),
 * required fields of the built-in kinds the sim serves, and CRD schemas. Every failure is a
 * 422 Invalid Status with field causes, worded like the real apiserver so clients print
 * familiar messages.
 */
import { ApiStatusError, type StatusCause } from './errors.ts';
import type { KubeObject } from '../types.ts';
import type { ResourceType } from './resources.ts';
import { validateCustomResource } from './crd-schema.ts';

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;

export const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
export const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

/** Returns the problem with a name under the kind's rule, or undefined when it is fine. */
export function nameProblem(name: string, t: Pick<ResourceType, 'nameRule' | 'kind'>): string | undefined {
  const rule = t.nameRule ?? 'subdomain';
  if (rule === 'path') {
    if (name === '.' || name === '..') return `may not be '${name}'`;
    if (name.includes('/') || name.includes('%')) return `may not contain '${name.includes('/') ? '/' : '%'}'`;
    return undefined;
  }
  if (t.kind === 'Service') {
    if (name.length > 63) return 'must be no more than 63 characters';
    return DNS1035_LABEL.test(name) ? undefined : DNS1035_MSG;
  }
  if (rule === 'label') {
    if (name.length > 63) return 'must be no more than 63 characters';
    return DNS1123_LABEL.test(name) ? undefined : LABEL_MSG;
  }
  if (name.length > 253) return 'must be no more than 253 characters';
  return DNS1123_SUBDOMAIN.test(name) ? undefined : SUBDOMAIN_MSG;
}

export function invalid(t: Pick<ResourceType, 'kind' | 'group'>, name: string, causes: StatusCause[]): ApiStatusError {
  const summary = causes.map((c) => `${c.field}: ${c.message}`);
  const msg = `${t.kind} "${name}" is invalid: ${summary.length === 1 ? summary[0] : `[${summary.join(', ')}]`}`;
  return new ApiStatusError(422, 'Invalid', msg, { name, group: t.group, kind: t.kind, causes });
}

function req(causes: StatusCause[], field: string): void {
  causes.push({ reason: 'FieldValueRequired', message: 'Required value', field });
}

function validateLabels(m: Record<string, unknown> | undefined, field: string, causes: StatusCause[], checkValues: boolean): void {
  if (m === undefined || m === null) return;
  if (typeof m !== 'object' || Array.isArray(m)) {
    causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(m)}: must be a map of string to string`, field });
    return;
  }
  for (const [k, v] of Object.entries(m)) {
    if (k.length > 316 || !QUALIFIED_NAME.test(k))
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${k}": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
        field,
      });
    if (typeof v !== 'string')
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(v)}: must be a string`,
        field: `${field}.${k}`,
      });
    else if (checkValues && (v.length > 63 || !LABEL_VALUE.test(v)))
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${v}": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character`,
        field: `${field}.${k}`,
      });
  }
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function validateContainers(list: unknown, field: string, causes: StatusCause[], required: boolean): void {
  if (list === undefined) {
    if (required) req(causes, field);
    return;
  }
  if (!Array.isArray(list) || (required && list.length === 0)) {
    if (!Array.isArray(list)) causes.push({ reason: 'FieldValueInvalid', message: 'Invalid value: must be a list', field });
    else req(causes, field);
    return;
  }
  const seen = new Set<string>();
  list.forEach((c, i) => {
    const f = `${field}[${i}]`;
    if (!isObj(c)) return req(causes, f);
    if (typeof c.name !== 'string' || !c.name) req(causes, `${f}.name`);
    else if (!DNS1123_LABEL.test(c.name))
      causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: "${c.name}": ${LABEL_MSG}`, field: `${f}.name` });
    else if (seen.has(c.name)) causes.push({ reason: 'FieldValueDuplicate', message: `Duplicate value: "${c.name}"`, field: `${f}.name` });
    else seen.add(c.name);
    if (typeof c.image !== 'string' || !c.image) req(causes, `${f}.image`);
  });
}

function validatePodSpec(spec: unknown, field: string, causes: StatusCause[]): void {
  if (!isObj(spec)) return req(causes, field);
  validateContainers(spec.containers, `${field}.containers`, causes, true);
  validateContainers(spec.initContainers, `${field}.initContainers`, causes, false);
}

function validateWorkload(o: KubeObject, causes: StatusCause[], needsSelector: boolean): void {
  const spec = o.spec as Obj | undefined;
  if (!isObj(spec)) return req(causes, 'spec');
  const sel = spec.selector as Obj | undefined;
  if (needsSelector && !isObj(sel)) req(causes, 'spec.selector');
  const tpl = spec.template as Obj | undefined;
  if (!isObj(tpl)) return req(causes, 'spec.template');
  const tplLabels = ((tpl.metadata as Obj | undefined)?.labels ?? {}) as Record<string, string>;
  if (isObj(sel) && isObj(sel.matchLabels)) {
    for (const [k, v] of Object.entries(sel.matchLabels)) {
      if (tplLabels[k] !== v) {
        causes.push({
          reason: 'FieldValueInvalid',
          message: `Invalid value: ${JSON.stringify(tplLabels)}: \`selector\` does not match template \`labels\``,
          field: 'spec.template.metadata.labels',
        });
        break;
      }
    }
  }
  validatePodSpec(tpl.spec, 'spec.template.spec', causes);
  if (spec.replicas !== undefined && (typeof spec.replicas !== 'number' || spec.replicas < 0 || !Number.isInteger(spec.replicas))) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: `Invalid value: ${JSON.stringify(spec.replicas)}: must be greater than or equal to 0`,
      field: 'spec.replicas',
    });
  }
}

/**
 * Throws 422 Invalid when the object may not be stored. Prunes unknown custom-resource fields in
 * place; with `strict` (fieldValidation=Strict, what kubectl sends) unknown fields are a 400 instead.
 */
export function validateObject(t: ResourceType, o: KubeObject, strict = false): void {
  const causes: StatusCause[] = [];
  const md = o.metadata;
  const name = md.name ?? '';
  if (!name)
    causes.push({ reason: 'FieldValueRequired', message: 'Required value: name or generateName is required', field: 'metadata.name' });
  else {
    const p = nameProblem(name, t);
    if (p) causes.push({ reason: 'FieldValueInvalid', message: `Invalid value: "${name}": ${p}`, field: 'metadata.name' });
  }
  validateLabels(md.labels as Obj | undefined, 'metadata.labels', causes, true);
  validateLabels(md.annotations as Obj | undefined, 'metadata.annotations', causes, false);
  if (md.finalizers !== undefined && (!Array.isArray(md.finalizers) || md.finalizers.some((f) => typeof f !== 'string'))) {
    causes.push({
      reason: 'FieldValueInvalid',
      message: 'Invalid value: finalizers must be a list of strings',
      field: 'metadata.finalizers',
    });
  }

  if (t.schema) {
    const pruned: string[] = [];
    causes.push(...validateCustomResource(o as unknown as Obj, t.schema, pruned));
    if (strict && pruned.length) {
      throw new ApiStatusError(
        400,
        'BadRequest',
        `${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: strict decoding error: ${pruned.map((f) => `unknown field "${f}"`).join(', ')}`,
      );
    }
  } else {
    switch (t.kind) {
      case 'Pod':
        validatePodSpec(o.spec, 'spec', causes);
        break;
      case 'Deployment':
      case 'ReplicaSet':
      case 'DaemonSet':
        validateWorkload(o, causes, true);
        break;
      case 'Service': {
        const spec = o.spec as Obj | undefined;
        const ports = spec?.ports;
        if (Array.isArray(ports)) {
          ports.forEach((p, i) => {
            if (!isObj(p) || typeof p.port !== 'number') req(causes, `spec.ports[${i}].port`);
            else if (p.port < 1 || p.port > 65535)
              causes.push({
                reason: 'FieldValueInvalid',
                message: `Invalid value: ${p.port}: must be between 1 and 65535, inclusive`,
                field: `spec.ports[${i}].port`,
              });
          });
        }
        break;
      }
      case 'ConfigMap':
      case 'Secret':
        for (const k of ['data', 'stringData', 'binaryData']) {
          const d = o[k];
          if (d === undefined) continue;
          if (!isObj(d))
            causes.push({ reason: 'FieldValueInvalid', message: 'Invalid value: must be a map of string to string', field: k });
          else
            for (const [dk, dv] of Object.entries(d))
              if (typeof dv !== 'string')
                causes.push({
                  reason: 'FieldValueInvalid',
                  message: `Invalid value: ${JSON.stringify(dv)}: must be a string`,
                  field: `${k}[${dk}]`,
                });
        }
        break;
      case 'RoleBinding':
      case 'ClusterRoleBinding': {
        const rr = o.roleRef as Obj | undefined;
        if (!isObj(rr)) req(causes, 'roleRef');
        else {
          if (!rr.kind) req(causes, 'roleRef.kind');
          if (!rr.name) req(causes, 'roleRef.name');
        }
        break;
      }
      case 'Role':
      case 'ClusterRole': {
        const rules = o.rules;
        if (rules !== undefined && !Array.isArray(rules))
          causes.push({ reason: 'FieldValueInvalid', message: 'Invalid value: must be a list', field: 'rules' });
        else
          (rules ?? []).forEach((r: unknown, i: number) => {
            if (!isObj(r) || !Array.isArray(r.verbs) || r.verbs.length === 0) req(causes, `rules[${i}].verbs`);
          });
        break;
      }
      case 'CustomResourceDefinition':
        validateCrd(o, causes);
        break;
    }
  }
  if (causes.length) throw invalid(t, name, causes);
}

function validateCrd(o: KubeObject, causes: StatusCause[]): void {
  const spec = o.spec as Obj | undefined;
  if (!isObj(spec)) return req(causes, 'spec');
  if (typeof spec.group !== 'string' || !spec.group) req(causes, 'spec.group');
  const names = spec.names as Obj | undefined;
  if (!isObj(names)) req(causes, 'spec.names');
  else {
    if (typeof names.plural !== 'string' || !names.plural) req(causes, 'spec.names.plural');
    if (typeof names.kind !== 'string' || !names.kind) req(causes, 'spec.names.kind');
    if (typeof names.plural === 'string' && typeof spec.group === 'string' && o.metadata.name !== `${names.plural}.${spec.group}`) {
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${o.metadata.name}": must be spec.names.plural+"."+spec.group`,
        field: 'metadata.name',
      });
    }
  }
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster')
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${JSON.stringify(spec.scope)}: supported values: "Cluster", "Namespaced"`,
      field: 'spec.scope',
    });
  const versions = spec.versions;
  if (!Array.isArray(versions) || versions.length === 0) req(causes, 'spec.versions');
  else {
    const storage = versions.filter((v) => isObj(v) && v.storage === true).length;
    if (storage !== 1)
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${JSON.stringify(versions.map((v) => (isObj(v) ? v.name : v)))}: must have exactly one version marked as storage version`,
        field: 'spec.versions',
      });
    versions.forEach((v, i) => {
      if (!isObj(v) || typeof v.name !== 'string') req(causes, `spec.versions[${i}].name`);
    });
  }
}
