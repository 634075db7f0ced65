/**
 * Encoding of stored objects into the Kubernetes protobuf wire format, what a real kube-apiserver answers to
 * `Accept: application/vnd.kubernetes.protobuf` for built-in kinds (k8s.io/apimachinery
 * pkg/runtime/serializer/protobuf): the magic "k8s\0", then a runtime.Unknown {1 typeMeta {1 apiVersion, 2 kind},
 * 2 raw, 3 contentEncoding, 4 contentType} whose raw is the object's message. Driven by the declarative schemas
 * of protobuf-schema.ts; kinds without one (OBJECT_SCHEMAS) are not encodable.
 *
 * What is written, and why:
 * - the fields present in the stored JSON object, null meaning absent, in ascending field-number order (the
 *   order gogo-protobuf writes). The real server (gogo, proto2) also writes the zero/empty scalars of non-pointer
 *   Go fields that its JSON omits; a decoder reads an absent scalar as that same zero, so the decoded object is
 *   the same, and the sim does not have to know which Go fields are pointers;
 * - map entries sorted by key, each with key and value; an IntOrString with all three fields; contentEncoding
 *   and contentType of the envelope as empty strings: as gogo writes them;
 * - a Time as seconds, plus nanos only when the RFC 3339 text has a fraction (the real server drops fractions).
 * A field outside the schema, or a value of the wrong JSON type, is a ProtobufEncodeError naming its path: the
 * server then answers in another acceptable media type, never with a message that silently lacks the field.
 */
import type { KubeObject } from '../types.ts';
import { POD } from './pod-protobuf-schema.ts';
import { LIST_META, TIME, TYPE_META, type FieldType, type Schema } from './protobuf-schema.ts';

export const PROTOBUF_MEDIA_TYPE = 'application/vnd.kubernetes.protobuf';

/** The kinds the sim serves as protobuf, by "apiVersion/kind". */
const OBJECT_SCHEMAS: Record<string, Schema> = { 'v1/Pod': POD };

export class ProtobufEncodeError extends Error {
  override name = 'ProtobufEncodeError';
  constructor(
    /** JSON path of the offending field ("spec.containers[0].foo"), or the kind when it has no schema */
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);
/** Unknown.contentEncoding (3) and contentType (4), both "" */
const ENVELOPE_TAIL = Buffer.from([0x1a, 0x00, 0x22, 0x00]);

const WIRE_VARINT = 0;
const WIRE_LEN = 2;

/** A growable byte buffer with the protobuf primitives. */
class Writer {
  private buf = Buffer.allocUnsafe(512);
  len = 0;

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(b, 0, 0, this.len);
    this.buf = b;
  }

  varint(n: number): void {
    this.room(10);
    if (n < 0) {
      // proto2 int32/int64: a negative number is its 64-bit two's complement, 10 bytes
      let v = BigInt.asUintN(64, BigInt(n));
      while (v >= 0x80n) {
        this.buf[this.len++] = Number(v & 0x7fn) | 0x80;
        v >>= 7n;
      }
      this.buf[this.len++] = Number(v);
      return;
    }
    while (n >= 0x80) {
      this.buf[this.len++] = (n % 0x80) | 0x80;
      n = Math.floor(n / 0x80);
    }
    this.buf[this.len++] = n;
  }

  tag(no: number, wire: number): void {
    this.varint(no * 8 + wire);
  }

  raw(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  lengthDelimited(b: Uint8Array): void {
    this.varint(b.length);
    this.raw(b);
  }

  string(s: string): void {
    const n = Buffer.byteLength(s);
    this.varint(n);
    this.room(n);
    this.buf.write(s, this.len, 'utf8');
    this.len += n;
  }

  /** the bytes written so far (a view: valid until the next write) */
  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }

  /** the bytes written, in a buffer of their own (for caching) */
  take(): Buffer {
    return Buffer.from(this.view());
  }
}

type IndexedField = { no: number; type: FieldType; inline: boolean };

const INDEX = new WeakMap<Schema, Map<string, IndexedField>>();
const NUMBERS = new WeakMap<Schema, number[]>();

/** JSON name -> field; the names of an inline message map to the inline field itself. */
function indexOf(schema: Schema): Map<string, IndexedField> {
  let idx = INDEX.get(schema);
  if (idx) return idx;
  idx = new Map();
  for (const no of numbersOf(schema)) {
    const [name, type] = schema[no];
    if (typeof type === 'object' && 'inline' in type) {
      for (const inner of indexOf(type.inline).keys()) idx.set(inner, { no, type, inline: true });
    } else idx.set(name, { no, type, inline: false });
  }
  INDEX.set(schema, idx);
  return idx;
}

function numbersOf(schema: Schema): number[] {
  let n = NUMBERS.get(schema);
  if (!n)
    NUMBERS.set(
      schema,
      (n = Object.keys(schema)
        .map(Number)
        .sort((a, b) => a - b)),
    );
  return n;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(path: string, problem: string): never {
  throw new ProtobufEncodeError(path, problem);
}

function sub(path: string, key: string): string {
  return path ? `${path}.${key}` : key;
}

function encodeMessage(w: Writer, o: Json, schema: Schema, path: string, skip?: ReadonlySet<string>): void {
  const idx = indexOf(schema);
  const values = new Map<number, unknown>();
  const inlined = new Map<number, Json>();
  for (const k of Object.keys(o)) {
    const v = o[k];
    if (v === null || v === undefined || skip?.has(k)) continue;
    const f = idx.get(k);
    if (!f) fail(sub(path, k), "field not in the sim's protobuf schema of this message");
    if (f.inline) {
      let group = inlined.get(f.no);
      if (!group) inlined.set(f.no, (group = {}));
      group[k] = v;
    } else values.set(f.no, v);
  }
  for (const no of numbersOf(schema)) {
    const [name, type] = schema[no];
    if (typeof type === 'object' && 'inline' in type) {
      const group = inlined.get(no);
      if (group) writeNested(w, no, group, type.inline, path);
    } else if (values.has(no)) writeField(w, no, type, values.get(no), sub(path, name));
  }
}

function writeNested(w: Writer, no: number, o: Json, schema: Schema, path: string): void {
  const inner = new Writer();
  encodeMessage(inner, o, schema, path);
  w.tag(no, WIRE_LEN);
  w.lengthDelimited(inner.view());
}

function integer(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(path, `expected an integer, got ${JSON.stringify(v)}`);
  return v;
}

function text(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, `expected a string, got ${JSON.stringify(v)}`);
  return v;
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function base64(v: unknown, path: string): Buffer {
  const s = text(v, path);
  if (s.length % 4 !== 0 || !BASE64.test(s)) fail(path, 'expected base64 bytes');
  return Buffer.from(s, 'base64');
}

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:\d\d)$/;

function writeTime(w: Writer, no: number, v: unknown, path: string): void {
  const m = RFC3339.exec(text(v, path));
  const ms = m ? Date.parse(`${m[1]}${m[3]}`) : NaN;
  if (!m || Number.isNaN(ms)) fail(path, `expected an RFC 3339 time, got ${JSON.stringify(v)}`);
  const nanos = m[2] ? Number(m[2].padEnd(9, '0')) : 0;
  writeNested(w, no, nanos ? { seconds: ms / 1000, nanos } : { seconds: ms / 1000 }, TIME, path);
}

function quantityMessage(v: unknown, path: string): Buffer {
  // resource.Quantity {1 string}; JSON holds the canonical text (a bare number is accepted as its text)
  const s = typeof v === 'number' && Number.isFinite(v) ? String(v) : text(v, path);
  const inner = new Writer();
  inner.tag(1, WIRE_LEN);
  inner.string(s);
  return inner.take();
}

function writeMap(w: Writer, no: number, type: 'map' | 'bytesmap' | 'quantitymap', v: unknown, path: string): void {
  if (!isObject(v)) fail(path, `expected an object (a map), got ${JSON.stringify(v)}`);
  const entry = new Writer();
  for (const k of Object.keys(v).sort()) {
    const p = `${path}[${JSON.stringify(k)}]`;
    entry.len = 0;
    entry.tag(1, WIRE_LEN);
    entry.string(k);
    entry.tag(2, WIRE_LEN);
    if (type === 'map') entry.string(text(v[k], p));
    else entry.lengthDelimited(type === 'bytesmap' ? base64(v[k], p) : quantityMessage(v[k], p));
    w.tag(no, WIRE_LEN);
    w.lengthDelimited(entry.view());
  }
}

function array(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, `expected an array, got ${JSON.stringify(v)}`);
  return v;
}

function writeField(w: Writer, no: number, type: FieldType, v: unknown, path: string): void {
  switch (type) {
    case 'string':
      w.tag(no, WIRE_LEN);
      w.string(text(v, path));
      return;
    case 'int':
      w.tag(no, WIRE_VARINT);
      w.varint(integer(v, path));
      return;
    case 'bool':
      if (typeof v !== 'boolean') fail(path, `expected a boolean, got ${JSON.stringify(v)}`);
      w.tag(no, WIRE_VARINT);
      w.varint(v ? 1 : 0);
      return;
    case 'bytes':
      w.tag(no, WIRE_LEN);
      w.lengthDelimited(base64(v, path));
      return;
    case 'time':
      return writeTime(w, no, v, path);
    case 'strings':
      array(v, path).forEach((s, i) => {
        w.tag(no, WIRE_LEN);
        w.string(text(s, `${path}[${i}]`));
      });
      return;
    case 'ints':
      array(v, path).forEach((n, i) => {
        w.tag(no, WIRE_VARINT);
        w.varint(integer(n, `${path}[${i}]`));
      });
      return;
    case 'map':
    case 'bytesmap':
    case 'quantitymap':
      return writeMap(w, no, type, v, path);
    case 'intorstr': {
      if (typeof v !== 'string') integer(v, path);
      const inner = new Writer();
      inner.tag(1, WIRE_VARINT);
      inner.varint(typeof v === 'string' ? 1 : 0);
      inner.tag(2, WIRE_VARINT);
      inner.varint(typeof v === 'string' ? 0 : (v as number));
      inner.tag(3, WIRE_LEN);
      inner.string(typeof v === 'string' ? v : '');
      w.tag(no, WIRE_LEN);
      w.lengthDelimited(inner.view());
      return;
    }
    case 'quantity':
      w.tag(no, WIRE_LEN);
      w.lengthDelimited(quantityMessage(v, path));
      return;
  }
  if ('msg' in type) {
    if (!isObject(v)) fail(path, `expected an object, got ${JSON.stringify(v)}`);
    return writeNested(w, no, v, type.msg, path);
  }
  if ('list' in type) {
    array(v, path).forEach((item, i) => {
      const p = `${path}[${i}]`;
      if (!isObject(item)) fail(p, `expected an object, got ${JSON.stringify(item)}`);
      writeNested(w, no, item, type.list, p);
    });
    return;
  }
  // inline fields are grouped by encodeMessage and never reach here
  fail(path, 'inline field outside a message');
}

const TYPE_KEYS: ReadonlySet<string> = new Set(['apiVersion', 'kind']);

/** Whether objects of this apiVersion/kind have a protobuf schema. */
export function hasProtobufSchema(apiVersion: string, kind: string): boolean {
  return `${apiVersion}/${kind}` in OBJECT_SCHEMAS;
}

/** The object's message bytes (raw of the envelope, no TypeMeta); throws ProtobufEncodeError. */
export function encodeObjectMessage(obj: KubeObject): Buffer {
  const key = `${obj.apiVersion}/${obj.kind}`;
  const schema = OBJECT_SCHEMAS[key];
  if (!schema) fail(key, `no protobuf schema in the sim (it encodes ${Object.keys(OBJECT_SCHEMAS).join(', ')})`);
  const w = new Writer();
  // apiVersion and kind travel in the envelope's typeMeta, not in the message
  encodeMessage(w, obj as unknown as Json, schema, '', TYPE_KEYS);
  return w.take();
}

/** encodeObjectMessage, with the encode error as the value (cached per stored version by the store). */
export function objectMessageOrError(obj: KubeObject): Buffer | ProtobufEncodeError {
  try {
    return encodeObjectMessage(obj);
  } catch (e) {
    if (e instanceof ProtobufEncodeError) return e;
    throw e;
  }
}

function envelopeHead(apiVersion: string, kind: string, rawLength: number): Buffer {
  const w = new Writer();
  w.raw(MAGIC);
  writeNested(w, 1, { apiVersion, kind }, TYPE_META, 'typeMeta');
  w.tag(2, WIRE_LEN);
  w.varint(rawLength);
  return w.take();
}

/** One object in its envelope, from its message bytes. */
export function protobufObjectBody(apiVersion: string, kind: string, message: Buffer): Buffer {
  return Buffer.concat([envelopeHead(apiVersion, kind, message.length), message, ENVELOPE_TAIL]);
}

export interface ListMeta {
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
}

/**
 * A list (e.g. v1 PodList {1 metadata ListMeta, 2 repeated items}) in its envelope, from the items' cached
 * message bytes: each item gets its field-2 tag and length here, the bytes themselves are not re-encoded.
 */
export function protobufListBody(apiVersion: string, listKind: string, meta: ListMeta, items: readonly Buffer[]): Buffer {
  const head = new Writer();
  const m = new Writer();
  encodeMessage(m, meta as Json, LIST_META, 'metadata');
  head.tag(1, WIRE_LEN);
  head.lengthDelimited(m.view());
  const prefix = new Writer();
  const parts: Buffer[] = [];
  let rawLength = head.len;
  for (const item of items) {
    prefix.len = 0;
    prefix.tag(2, WIRE_LEN);
    prefix.varint(item.length);
    const p = prefix.take();
    parts.push(p, item);
    rawLength += p.length + item.length;
  }
  return Buffer.concat([envelopeHead(apiVersion, listKind, rawLength), head.view(), ...parts, ENVELOPE_TAIL]);
}
