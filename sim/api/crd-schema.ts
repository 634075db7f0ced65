/**
 * Structural-schema validation and pruning of custom resources, the subset of apiextensions
 * openAPIV3Schema that CRDs here use: type, properties, additionalProperties, items, required,
 * enum, pattern, minimum/maximum (+exclusive), minLength/maxLength, minItems/maxItems, nullable,
 * x-kubernetes-preserve-unknown-fields, x-kubernetes-int-or-string. Errors come back as
 * metav1 StatusCauses with the field path, so the server can answer 422 Invalid like the real one.
 */
import type { StatusCause } from './errors.ts';

export interface JSONSchemaProps {
  type?: string;
  description?: string;
  properties?: Record<string, JSONSchemaProps>;
  additionalProperties?: JSONSchemaProps | boolean;
  items?: JSONSchemaProps;
  required?: string[];
  enum?: unknown[];
  pattern?: string;
  format?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: boolean;
  exclusiveMaximum?: boolean;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  nullable?: boolean;
  default?: unknown;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-embedded-resource'?: boolean;
  [k: string]: unknown;
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : (JSON.stringify(v) ?? String(v));
}

/** Validates `value` at `path` and prunes unknown fields in place (like the apiserver does). */
export function validateSchema(
  value: unknown,
  schema: JSONSchemaProps | undefined,
  path: string,
  causes: StatusCause[],
  pruned?: string[],
): void {
  if (!schema) return;
  if (value === null) {
    if (!schema.nullable && schema.type)
      causes.push({
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: "null": ${path} in body must be of type ${schema.type}: "null"`,
        field: path,
      });
    return;
  }
  const actual = typeOf(value);
  if (schema['x-kubernetes-int-or-string']) {
    if (actual !== 'integer' && actual !== 'string')
      causes.push({
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: ${show(value)}: ${path} in body must be of type integer,string: "${actual}"`,
        field: path,
      });
    return;
  }
  if (schema.type) {
    const ok = schema.type === actual || (schema.type === 'number' && actual === 'integer');
    if (!ok) {
      causes.push({
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: "${actual}": ${path} in body must be of type ${schema.type}: "${actual}"`,
        field: path,
      });
      return;
    }
  }
  if (schema.enum && !schema.enum.some((e) => JSON.stringify(e) === JSON.stringify(value))) {
    causes.push({
      reason: 'FieldValueNotSupported',
      message: `Unsupported value: ${show(value)}: supported values: ${schema.enum.map(show).join(', ')}`,
      field: path,
    });
  }
  if (typeof value === 'string') {
    if (schema.pattern !== undefined && !new RegExp(schema.pattern, 'u').test(value))
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${show(value)}: ${path} in body should match '${schema.pattern}'`,
        field: path,
      });
    if (schema.minLength !== undefined && value.length < schema.minLength)
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${show(value)}: ${path} in body should be at least ${schema.minLength} chars long`,
        field: path,
      });
    if (schema.maxLength !== undefined && value.length > schema.maxLength)
      causes.push({ reason: 'FieldValueTooLong', message: `Too long: may not be more than ${schema.maxLength} bytes`, field: path });
  }
  if (typeof value === 'number') {
    if (schema.minimum !== undefined && (schema.exclusiveMinimum ? value <= schema.minimum : value < schema.minimum))
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${value}: ${path} in body should be greater than or equal to ${schema.minimum}`,
        field: path,
      });
    if (schema.maximum !== undefined && (schema.exclusiveMaximum ? value >= schema.maximum : value > schema.maximum))
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${value}: ${path} in body should be less than or equal to ${schema.maximum}`,
        field: path,
      });
  }
  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems)
      causes.push({
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${value.length}: ${path} in body should have at least ${schema.minItems} items`,
        field: path,
      });
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      causes.push({
        reason: 'FieldValueTooMany',
        message: `Too many: ${value.length}: must have at most ${schema.maxItems} items`,
        field: path,
      });
    value.forEach((v, i) => validateSchema(v, schema.items, `${path}[${i}]`, causes, pruned));
  }
  if (actual === 'object') {
    const obj = value as Record<string, unknown>;
    for (const r of schema.required ?? []) {
      if (obj[r] === undefined) causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: path ? `${path}.${r}` : r });
    }
    const props = schema.properties;
    for (const k of Object.keys(obj)) {
      const sub = props?.[k];
      const childPath = path ? `${path}.${k}` : k;
      if (sub) validateSchema(obj[k], sub, childPath, causes, pruned);
      else if (typeof schema.additionalProperties === 'object')
        validateSchema(obj[k], schema.additionalProperties, childPath, causes, pruned);
      else if (props && !schema['x-kubernetes-preserve-unknown-fields'] && schema.additionalProperties !== true) {
        pruned?.push(childPath);
        delete obj[k];
      }
    }
  }
}

/**
 * Validates a whole custom resource. apiVersion/kind/metadata are the server's business, so only
 * the remaining top-level fields go through the schema.
 */
export function validateCustomResource(
  obj: Record<string, unknown>,
  schema: JSONSchemaProps | undefined,
  pruned?: string[],
): StatusCause[] {
  const causes: StatusCause[] = [];
  if (!schema) return causes;
  const props = schema.properties ?? {};
  for (const r of schema.required ?? []) {
    if (r !== 'metadata' && r !== 'apiVersion' && r !== 'kind' && obj[r] === undefined)
      causes.push({ reason: 'FieldValueRequired', message: 'Required value', field: r });
  }
  for (const k of Object.keys(obj)) {
    if (k === 'apiVersion' || k === 'kind' || k === 'metadata') continue;
    if (props[k]) validateSchema(obj[k], props[k], k, causes, pruned);
    else if (!schema['x-kubernetes-preserve-unknown-fields']) {
      pruned?.push(k);
      delete obj[k];
    }
  }
  return causes;
}
