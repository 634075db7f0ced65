/**
 * The four patch types of the API: JSON merge patch (RFC 7386), JSON patch (RFC 6902, through
 * fast-json-patch), strategic merge patch (lists merged by patchMergeKey, $patch / $setElementOrder /
 * $deleteFromPrimitiveList / $retainKeys directives) and server-side apply (a field-manager-less
 * strategic merge of the applied configuration). Pure functions over plain JSON.
 */
import jsonpatch from 'fast-json-patch';
import { ApiStatusError } from './errors.ts';

type Json = unknown;
type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

export const PATCH_TYPES = [
  'application/merge-patch+json',
  'application/json-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
] as const;
export type PatchType = (typeof PATCH_TYPES)[number];

export function mergePatch(target: Json, patch: Json): Json {
  if (!isObj(patch)) return patch;
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

export function jsonPatch(target: Json, ops: Json): Json {
  if (!Array.isArray(ops))
    throw new ApiStatusError(400, 'BadRequest', 'json: cannot unmarshal object into Go value of type jsonpatch.Patch');
  try {
    const doc = JSON.parse(JSON.stringify(target)) as Obj;
    return jsonpatch.applyPatch(doc, ops as jsonpatch.Operation[], true, true).newDocument;
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    // A failed "test" op is a conflict in the real server only with preconditions; it answers 422.
    throw new ApiStatusError(422, 'Invalid', `the server rejected our request due to an error in our request: ${msg}`, {
      causes: [{ reason: 'FieldValueInvalid', message: msg }],
    });
  }
}

/**
 * patchMergeKey per list field name, as in the Go types of core/v1 and apps/v1. A field name is
 * enough here because the sim's kinds never reuse a name with a different key, except `ports`
 * (containerPort in containers, port in services), which is told apart by the items.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  conditions: 'type',
  imagePullSecrets: 'name',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  topologySpreadConstraints: 'topologyKey',
  addresses: 'type',
  taints: 'key',
  resourceClaims: 'name',
  containerStatuses: 'name',
  initContainerStatuses: 'name',
};
/** Lists of scalars merged as sets (patchStrategy merge). */
const MERGE_PRIMITIVE = new Set(['finalizers']);

function mergeKeyFor(field: string, items: unknown[]): string | undefined {
  if (field === 'ports') return items.some((i) => isObj(i) && 'containerPort' in i) ? 'containerPort' : 'port';
  return MERGE_KEYS[field];
}

export function strategicMerge(target: Json, patch: Json): Json {
  if (!isObj(patch)) return patch;
  if (patch.$patch === 'replace') {
    const { $patch: _p, ...rest } = patch;
    return stripDirectives(rest);
  }
  if (patch.$patch === 'delete') return undefined;
  const out: Obj = isObj(target) ? { ...target } : {};
  const retain = Array.isArray(patch.$retainKeys) ? (patch.$retainKeys as string[]) : undefined;
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue;
    if (k.startsWith('$setElementOrder/') || k.startsWith('$deleteFromPrimitiveList/')) continue;
    if (v === null) {
      delete out[k];
      continue;
    }
    if (Array.isArray(v)) {
      const cur = Array.isArray(out[k]) ? (out[k] as unknown[]) : [];
      const del = patch[`$deleteFromPrimitiveList/${k}`];
      const order = patch[`$setElementOrder/${k}`];
      out[k] = mergeList(k, cur, v, Array.isArray(del) ? del : undefined, Array.isArray(order) ? order : undefined);
      continue;
    }
    if (isObj(v)) {
      const merged = strategicMerge(out[k], v);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
      continue;
    }
    out[k] = v;
  }
  for (const k of Object.keys(patch)) {
    const m = /^\$deleteFromPrimitiveList\/(.+)$/.exec(k);
    if (m && !(m[1] in patch) && Array.isArray(out[m[1]])) {
      const del = patch[k] as unknown[];
      out[m[1]] = (out[m[1]] as unknown[]).filter((x) => !del.includes(x));
    }
  }
  if (retain) for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  return out;
}

function mergeList(field: string, cur: unknown[], patch: unknown[], del: unknown[] | undefined, order: unknown[] | undefined): unknown[] {
  const key = mergeKeyFor(field, [...cur, ...patch]);
  if (MERGE_PRIMITIVE.has(field) && !key) {
    const out = cur.filter((x) => !del?.includes(x));
    for (const p of patch) if (!out.includes(p)) out.push(p);
    return out;
  }
  if (!key) {
    // atomic list: replace (after dropping directive-only entries)
    return patch.filter((p) => !(isObj(p) && p.$patch)).map(stripDirectives);
  }
  if (patch.length === 1 && isObj(patch[0]) && patch[0].$patch === 'replace') return [];
  const out = cur.map((x) => x);
  for (const p of patch) {
    if (!isObj(p)) continue;
    const idx = out.findIndex((x) => isObj(x) && x[key] === p[key]);
    if (p.$patch === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMerge(out[idx], p);
    else out.push(stripDirectives(p));
  }
  if (order) {
    // $setElementOrder lists the keys in the wanted order; items not listed keep their place at the end.
    const rank = new Map<unknown, number>();
    order.forEach((o, i) => rank.set(isObj(o) ? o[key] : o, i));
    out.sort((a, b) => (rank.get(isObj(a) ? a[key] : a) ?? 1e9) - (rank.get(isObj(b) ? b[key] : b) ?? 1e9));
  }
  return out;
}

function stripDirectives(v: Json): Json {
  if (Array.isArray(v)) return v.map(stripDirectives);
  if (!isObj(v)) return v;
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) if (!k.startsWith('$')) out[k] = stripDirectives(x);
  return out;
}

/**
 * Applies a patch document. `strategic` is false for custom resources: the real server refuses
 * strategic merge patches for them with 415.
 */
export function applyPatch(type: PatchType, target: Json, patch: Json, strategic: boolean): Json {
  switch (type) {
    case 'application/merge-patch+json':
      if (!isObj(patch)) throw new ApiStatusError(400, 'BadRequest', 'merge patch must be a JSON object');
      return mergePatch(target, patch);
    case 'application/json-patch+json':
      return jsonPatch(target, patch);
    case 'application/strategic-merge-patch+json':
      if (!strategic)
        throw new ApiStatusError(
          415,
          'UnsupportedMediaType',
          'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml',
        );
      if (!isObj(patch)) throw new ApiStatusError(400, 'BadRequest', 'strategic merge patch must be a JSON object');
      return strategicMerge(target, patch);
    case 'application/apply-patch+yaml':
      if (!isObj(patch)) throw new ApiStatusError(400, 'BadRequest', 'apply patch must be an object');
      return strategic ? strategicMerge(target, patch) : mergeApply(target, patch);
  }
}

/** Apply for custom resources: maps merge, lists replace, nothing is deleted implicitly. */
function mergeApply(target: Json, patch: Json): Json {
  if (!isObj(patch) || !isObj(target)) return patch;
  const out: Obj = { ...target };
  for (const [k, v] of Object.entries(patch)) out[k] = isObj(v) ? mergeApply(out[k], v) : v;
  return out;
}
