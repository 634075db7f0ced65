/**
 * Decoding of Kubernetes protobuf request bodies for the few kinds typed clients post with
 * Content-Type application/vnd.kubernetes.protobuf: kubectl's typed clientset sends
 * `auth can-i` reviews, `create configmap|secret|namespace|serviceaccount` and DeleteOptions
 * this way, and a real server accepts them. Everything else keeps answering 415.
 *
 * Envelope: "k8s\0" + runtime.Unknown{typeMeta=1{apiVersion=1,kind=2}, raw=2, contentEncoding=3, contentType=4};
 * raw is the kind's message. Field numbers come from k8s.io/api generated.proto; the message shapes are the
 * schemas of protobuf-schema.ts, shared with the response encoder (protobuf-encode.ts).
 */
import { ApiStatusError } from './errors.ts';
import { POD_SPEC } from './pod-protobuf-schema.ts';
import { LABEL_SELECTOR as SELECTOR, OBJECT_META, TIME, type Schema } from './protobuf-schema.ts';

const META = OBJECT_META;
const REF: Schema = { 1: ['name', 'string'] };
// kubectl create deployment's pod template: the full v1 PodSpec the encoder serves pods with
const TEMPLATE: Schema = { 1: ['metadata', { msg: META }], 2: ['spec', { msg: POD_SPEC }] };

const SCHEMAS: Record<string, Schema> = {
  'apps/v1/Deployment': {
    1: ['metadata', { msg: META }],
    2: [
      'spec',
      {
        msg: {
          1: ['replicas', 'int'],
          2: ['selector', { msg: SELECTOR }],
          3: ['template', { msg: TEMPLATE }],
          4: ['strategy', { msg: { 1: ['type', 'string'] } }],
          5: ['minReadySeconds', 'int'],
          6: ['revisionHistoryLimit', 'int'],
          7: ['paused', 'bool'],
          9: ['progressDeadlineSeconds', 'int'],
        },
      },
    ],
  },
  'v1/Service': {
    1: ['metadata', { msg: META }],
    2: [
      'spec',
      {
        msg: {
          1: [
            'ports',
            {
              list: {
                1: ['name', 'string'],
                2: ['protocol', 'string'],
                3: ['port', 'int'],
                4: ['targetPort', 'intorstr'],
                5: ['nodePort', 'int'],
              },
            },
          ],
          2: ['selector', 'map'],
          3: ['clusterIP', 'string'],
          4: ['type', 'string'],
          7: ['externalName', 'string'],
        },
      },
    ],
  },
  'v1/ConfigMap': { 1: ['metadata', { msg: META }], 2: ['data', 'map'], 3: ['binaryData', 'bytesmap'], 4: ['immutable', 'bool'] },
  'v1/Secret': {
    1: ['metadata', { msg: META }],
    2: ['data', 'bytesmap'],
    3: ['type', 'string'],
    4: ['stringData', 'map'],
    5: ['immutable', 'bool'],
  },
  'v1/Namespace': { 1: ['metadata', { msg: META }], 2: ['spec', { msg: { 1: ['finalizers', 'strings'] } }] },
  'v1/ServiceAccount': {
    1: ['metadata', { msg: META }],
    2: ['secrets', { list: { 1: ['kind', 'string'], 2: ['namespace', 'string'], 3: ['name', 'string'] } }],
    3: ['imagePullSecrets', { list: REF }],
    4: ['automountServiceAccountToken', 'bool'],
  },
  'authorization.k8s.io/v1/SelfSubjectAccessReview': {
    1: ['metadata', { msg: META }],
    2: [
      'spec',
      {
        msg: {
          1: [
            'resourceAttributes',
            {
              msg: {
                1: ['namespace', 'string'],
                2: ['verb', 'string'],
                3: ['group', 'string'],
                4: ['version', 'string'],
                5: ['resource', 'string'],
                6: ['subresource', 'string'],
                7: ['name', 'string'],
              },
            },
          ],
          2: ['nonResourceAttributes', { msg: { 1: ['path', 'string'], 2: ['verb', 'string'] } }],
        },
      },
    ],
  },
  'authorization.k8s.io/v1/SelfSubjectRulesReview': {
    1: ['metadata', { msg: META }],
    2: ['spec', { msg: { 1: ['namespace', 'string'] } }],
  },
  'meta.k8s.io/v1/DeleteOptions': {
    1: ['gracePeriodSeconds', 'int'],
    2: ['preconditions', { msg: { 1: ['uid', 'string'], 2: ['resourceVersion', 'string'] } }],
    3: ['orphanDependents', 'bool'],
    4: ['propagationPolicy', 'string'],
    5: ['dryRun', 'strings'],
  },
  'v1/DeleteOptions': {
    1: ['gracePeriodSeconds', 'int'],
    2: ['preconditions', { msg: { 1: ['uid', 'string'], 2: ['resourceVersion', 'string'] } }],
    3: ['orphanDependents', 'bool'],
    4: ['propagationPolicy', 'string'],
    5: ['dryRun', 'strings'],
  },
};

class Reader {
  pos = 0;
  constructor(readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): number {
    let result = 0;
    let mul = 1;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++];
      result += (b & 0x7f) * mul;
      if (!(b & 0x80)) return result;
      mul *= 128;
    }
  }
  bytes(): Buffer {
    const n = this.varint();
    if (this.pos + n > this.buf.length) throw new Error('truncated field');
    const b = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

/** Generic decode of a message into {fieldNumber: [raw values]} */
function fields(buf: Buffer): Map<number, (number | Buffer)[]> {
  const r = new Reader(buf);
  const out = new Map<number, (number | Buffer)[]>();
  while (!r.done) {
    const key = r.varint();
    const no = Math.floor(key / 8);
    const wire = key & 7;
    let v: number | Buffer;
    if (wire === 0) v = r.varint();
    else if (wire === 2) v = r.bytes();
    else {
      r.skip(wire);
      continue;
    }
    const l = out.get(no) ?? [];
    l.push(v);
    out.set(no, l);
  }
  return out;
}

function decodeMsg(buf: Buffer, schema: Schema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [no, vals] of fields(buf)) {
    const f = schema[no];
    if (!f) continue;
    const [name, type] = f;
    const last = vals[vals.length - 1];
    const str = (v: number | Buffer) => (Buffer.isBuffer(v) ? v.toString('utf8') : String(v));
    // gogo-protobuf writes empty optional strings; JSON clients would omit them.
    if (type === 'string') {
      if (str(last) !== '') out[name] = str(last);
    }
    // gogo-protobuf also writes zero scalars of non-pointer fields; JSON clients omit them.
    // Pointer fields where 0 means something are kept.
    else if (type === 'int') {
      const n = typeof last === 'number' ? last : 0;
      if (n !== 0 || KEEP_ZERO.has(name)) out[name] = n;
    } else if (type === 'bool') {
      if (last === 1) out[name] = true;
    } else if (type === 'bytes') out[name] = Buffer.isBuffer(last) ? last.toString('base64') : '';
    else if (type === 'strings') out[name] = vals.map(str);
    else if (type === 'ints') out[name] = vals.flatMap((v) => (Buffer.isBuffer(v) ? packedVarints(v) : [v]));
    else if (type === 'quantity') out[name] = quantity(last);
    else if (type === 'intorstr') {
      const ios = decodeMsg(last as Buffer, { 1: ['type', 'int'], 2: ['intVal', 'int'], 3: ['strVal', 'string'] });
      out[name] = ios.type === 1 ? (ios.strVal ?? '') : (ios.intVal ?? 0);
    } else if (type === 'time') {
      const t = decodeMsg(last as Buffer, TIME);
      if (!t.seconds) continue;
      out[name] = new Date(Number(t.seconds ?? 0) * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
    } else if (type === 'quantitymap') {
      const m: Record<string, string> = {};
      for (const v of vals) {
        const e = fields(v as Buffer);
        const k = e.get(1)?.[0];
        m[k === undefined ? '' : str(k)] = quantity(e.get(2)?.[0]);
      }
      out[name] = m;
    } else if (type === 'map' || type === 'bytesmap') {
      const m: Record<string, string> = {};
      for (const v of vals) {
        const e = fields(v as Buffer);
        const k = e.get(1)?.[0];
        const val = e.get(2)?.[0];
        const key = k === undefined ? '' : str(k);
        m[key] = val === undefined ? '' : type === 'bytesmap' ? (val as Buffer).toString('base64') : str(val);
      }
      out[name] = m;
    } else if ('inline' in type) Object.assign(out, decodeMsg(last as Buffer, type.inline));
    else if ('msg' in type) out[name] = decodeMsg(last as Buffer, type.msg);
    else out[name] = vals.map((v) => decodeMsg(v as Buffer, type.list));
  }
  return out;
}

/** resource.Quantity {1 string} */
function quantity(v: number | Buffer | undefined): string {
  const q = Buffer.isBuffer(v) ? fields(v).get(1)?.[0] : undefined;
  return Buffer.isBuffer(q) ? q.toString('utf8') : '';
}

/** a packed repeated varint field (other encoders may pack what gogo writes one by one) */
function packedVarints(b: Buffer): number[] {
  const r = new Reader(b);
  const out: number[] = [];
  while (!r.done) out.push(r.varint());
  return out;
}

const KEEP_ZERO = new Set(['replicas', 'gracePeriodSeconds', 'terminationGracePeriodSeconds']);

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Decodes a protobuf body into the JSON shape of the object; 415 for kinds it does not know. */
export function decodeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < 4 || !body.subarray(0, 4).equals(MAGIC))
    throw new ApiStatusError(400, 'BadRequest', 'protobuf body without the k8s envelope');
  try {
    const env = fields(body.subarray(4));
    const tm = env.get(1)?.[0];
    const raw = env.get(2)?.[0];
    const typeMeta = tm ? fields(tm as Buffer) : new Map<number, (number | Buffer)[]>();
    const apiVersion = String(typeMeta.get(1)?.[0]?.toString() ?? '');
    const kind = String(typeMeta.get(2)?.[0]?.toString() ?? '');
    const schema = SCHEMAS[`${apiVersion}/${kind}`];
    if (!schema)
      throw new ApiStatusError(
        415,
        'UnsupportedMediaType',
        `the sim decodes protobuf only for ${Object.keys(SCHEMAS).join(', ')}; send ${apiVersion}/${kind} as application/json`,
      );
    return { apiVersion, kind, ...decodeMsg((raw as Buffer | undefined) ?? Buffer.alloc(0), schema) };
  } catch (e) {
    if (e instanceof ApiStatusError) throw e;
    throw new ApiStatusError(400, 'BadRequest', `error decoding protobuf body: ${e instanceof Error ? e.message : String(e)}`);
  }
}
