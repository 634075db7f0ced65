/**
 * Request parsing for the API server: resource paths into parts, Accept negotiation, bodies with
 * a size cap, content types, and the query parameters each verb accepts (anything else is a 400
 * naming the parameter, so typos do not silently change meaning).
 */
import type { IncomingMessage } from 'node:http';
import YAML from 'yaml';
import { ApiStatusError } from './errors.ts';
import { decodeProtobuf } from './protobuf.ts';
import { PROTOBUF_MEDIA_TYPE } from './protobuf-encode.ts';

export interface ResourcePath {
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
}

/** Parses /api/v1/... and /apis/g/v/...; undefined when not a resource path. */
export function parseResourcePath(pathname: string): ResourcePath | undefined {
  const segs = pathname
    .split('/')
    .filter((s) => s !== '')
    .map((s) => decodeURIComponent(s));
  let group = '';
  let version: string;
  let rest: string[];
  if (segs[0] === 'api' && segs.length >= 3) {
    version = segs[1];
    rest = segs.slice(2);
  } else if (segs[0] === 'apis' && segs.length >= 4) {
    group = segs[1];
    version = segs[2];
    rest = segs.slice(3);
  } else return undefined;
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    // /namespaces/{ns}/{resource}... ; /namespaces/{ns}/status|finalize are namespace subresources
    if (rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize')) {
      return { group, version, resource: 'namespaces', name: rest[1], subresource: rest[2] };
    }
    namespace = rest[1];
    rest = rest.slice(2);
  }
  if (rest.length < 1 || rest.length > 3) return undefined;
  return { group, version, namespace, resource: rest[0], name: rest[1], subresource: rest[2] };
}

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'update' | 'patch' | 'delete' | 'deletecollection';

const COMMON = ['pretty', 'timeout'];
const READ = ['resourceVersion', 'resourceVersionMatch', 'export', 'exact'];
const LIST = [
  'labelSelector',
  'fieldSelector',
  'limit',
  'continue',
  'watch',
  'allowWatchBookmarks',
  'timeoutSeconds',
  'sendInitialEvents',
  'includeObject',
  'resourceVersion',
  'resourceVersionMatch',
];
const WRITE = ['dryRun', 'fieldManager', 'fieldValidation'];
const DELETE = [
  'dryRun',
  'gracePeriodSeconds',
  'propagationPolicy',
  'orphanDependents',
  'ignoreStoreReadErrorWithClusterBreakingPotential',
];

export const ALLOWED_PARAMS: Record<string, string[]> = {
  get: [...COMMON, ...READ, 'includeObject'],
  list: [...COMMON, ...LIST],
  watch: [...COMMON, ...LIST],
  create: [...COMMON, ...WRITE],
  update: [...COMMON, ...WRITE],
  patch: [...COMMON, ...WRITE, 'force'],
  delete: [...COMMON, ...DELETE],
  deletecollection: [...COMMON, ...DELETE, ...LIST],
  log: [
    ...COMMON,
    'container',
    'follow',
    'previous',
    'sinceSeconds',
    'sinceTime',
    'timestamps',
    'tailLines',
    'limitBytes',
    'insecureSkipTLSVerifyBackend',
  ],
  exec: [...COMMON, 'command', 'container', 'stdin', 'stdout', 'stderr', 'tty'],
};

export function checkParams(q: URLSearchParams, kind: string): void {
  const allowed = ALLOWED_PARAMS[kind] ?? COMMON;
  for (const k of q.keys()) {
    if (!allowed.includes(k))
      throw new ApiStatusError(400, 'BadRequest', `unknown query parameter "${k}" for ${kind} (allowed: ${allowed.join(', ')})`);
  }
}

export type ResponseFormat =
  | { kind: 'json' }
  | { kind: 'yaml' }
  | { kind: 'table' }
  | { kind: 'metadata' }
  /** `fallback`: the next acceptable type of the Accept header, for objects that cannot be encoded */
  | { kind: 'protobuf'; fallback?: ResponseFormat };

/** What an endpoint can answer besides JSON/YAML/Table: protobuf for the kinds with a schema (get and list). */
export interface Offers {
  protobuf?: boolean;
}

/** Picks the first acceptable media type from Accept; 406 when none is. */
export function negotiate(accept: string | undefined, offers: Offers = {}): ResponseFormat {
  if (!accept || !accept.trim()) return { kind: 'json' };
  const ranges = accept.split(',');
  let askedProtobuf = false;
  for (let i = 0; i < ranges.length; i++) {
    const [type, ...params] = ranges[i].split(';').map((s) => s.trim());
    const p = new Map(params.map((x) => x.split('=').map((s) => s.trim()) as [string, string]));
    const as = p.get('as');
    if (type === 'application/json' || type === '*/*' || type === 'application/*') {
      if (as === 'Table' && (p.get('g') ?? 'meta.k8s.io') === 'meta.k8s.io') return { kind: 'table' };
      if (as === 'PartialObjectMetadataList' || as === 'PartialObjectMetadata') return { kind: 'metadata' };
      if (as === 'APIGroupDiscoveryList') continue;
      if (as) continue;
      return { kind: 'json' };
    }
    if (type === 'application/yaml' && !as) return { kind: 'yaml' };
    if (type === PROTOBUF_MEDIA_TYPE && !as) {
      askedProtobuf = true;
      if (!offers.protobuf) continue;
      const rest = ranges.slice(i + 1).join(',');
      let fallback: ResponseFormat | undefined;
      try {
        fallback = rest.trim() ? negotiate(rest) : undefined;
      } catch (e) {
        if (!(e instanceof ApiStatusError && e.code === 406)) throw e;
      }
      return fallback ? { kind: 'protobuf', fallback } : { kind: 'protobuf' };
    }
  }
  throw new ApiStatusError(
    406,
    'NotAcceptable',
    `only the following media types are accepted: application/json, application/yaml${offers.protobuf ? `, ${PROTOBUF_MEDIA_TYPE}` : ''}${
      askedProtobuf && !offers.protobuf ? ` (the sim serves ${PROTOBUF_MEDIA_TYPE} for get and list of core v1 pods only)` : ''
    }`,
  );
}

export const MAX_BODY = 3 * 1024 * 1024;

export async function readBody(req: IncomingMessage, max = MAX_BODY): Promise<Buffer> {
  const len = Number(req.headers['content-length'] ?? NaN);
  if (Number.isFinite(len) && len > max)
    throw new ApiStatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${max}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    const b = c as Buffer;
    size += b.length;
    if (size > max) throw new ApiStatusError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${max}`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

export function mediaType(req: IncomingMessage): string {
  return String(req.headers['content-type'] ?? '')
    .split(';')[0]
    .trim()
    .toLowerCase();
}

/** Decodes a create/update body (JSON or YAML). */
export function decodeObject(body: Buffer, type: string, kindHint: string): unknown {
  if (type === PROTOBUF_MEDIA_TYPE) return decodeProtobuf(body);
  if (type !== '' && type !== 'application/json' && type !== 'application/yaml' && type !== '*/*') {
    throw new ApiStatusError(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json, application/yaml`,
    );
  }
  const text = body.toString('utf8');
  if (!text.trim()) throw new ApiStatusError(400, 'BadRequest', 'the request body is empty');
  let parsed: unknown;
  try {
    parsed = type === 'application/yaml' ? YAML.parse(text) : JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new ApiStatusError(
      400,
      'BadRequest',
      `the object provided is unrecognized (must be of type ${kindHint}): couldn't get version/kind; ${type === 'application/yaml' ? 'yaml' : 'json'} parse error: ${msg}`,
    );
  }
  checkDepth(parsed, `the object provided is unrecognized (must be of type ${kindHint})`);
  return parsed;
}

/**
 * Nesting deeper than this is a 400 before any recursive code (validation, merge, copy) sees it: a deep body
 * must not become a 500 "Maximum call stack size exceeded". kube-apiserver's JSON decoder stops at 10000
 * (Go encoding/json's maxNestingDepth); the sim stops earlier, well inside its own stack.
 */
export const MAX_BODY_DEPTH = 1000;

/** Iterative (no recursion to overflow): throws a 400 when `v` nests deeper than MAX_BODY_DEPTH. */
export function checkDepth(v: unknown, what: string): void {
  const stack: [unknown, number][] = [[v, 1]];
  while (stack.length) {
    const [cur, d] = stack.pop() as [unknown, number];
    if (cur === null || typeof cur !== 'object') continue;
    if (d > MAX_BODY_DEPTH) throw new ApiStatusError(400, 'BadRequest', `${what}: exceeded max depth ${MAX_BODY_DEPTH}`);
    for (const x of Array.isArray(cur) ? cur : Object.values(cur)) if (x !== null && typeof x === 'object') stack.push([x, d + 1]);
  }
}

export function decodePatch(body: Buffer, type: string): unknown {
  const text = body.toString('utf8');
  if (!text.trim()) throw new ApiStatusError(400, 'BadRequest', 'the request body is empty');
  let parsed: unknown;
  try {
    parsed = type === 'application/apply-patch+yaml' ? YAML.parse(text) : JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] : String(e);
    throw new ApiStatusError(400, 'BadRequest', `error decoding patch: ${msg}`);
  }
  checkDepth(parsed, 'error decoding patch');
  return parsed;
}
