/**
 * A pull scanner over one JSON document in a Buffer, for the EgressIP check's biggest API read (the pod list,
 * pod-list.ts): it decodes only the values its caller asks for and skips the rest byte by byte, without building
 * their strings or objects. Positions are byte offsets; every error is a JsonScanError naming one.
 *
 * It pays where most of the bytes are skipped. For the NB tables, where every cell is read, V8's JSON.parse
 * was faster than a scan like this one (2.7 vs 0.9 ms per node dump, measured), so those go through JSON.parse
 * line by line (nb-reader.ts NbDumpStream).
 */
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export class JsonScanError extends Error {
  override name = 'JsonScanError';
}

/** A key as bytes, for JsonScanner.is(). */
export const keyBytes = (s: string): Uint8Array => Buffer.from(s, 'latin1');

/**
 * Index of the quote that closes a string whose body starts at `j` (n when the body runs to the end). Four bytes
 * a step while none of them is a quote or a backslash, then byte by byte: most of a pod list's bytes are in
 * strings, and this halves the compares per byte (measured on the embedded cluster's 5 MB list: the skip of
 * the whole body 6.5 -> 5.1 ms). A native indexOf per string costs more: most strings are short.
 */
function stringClose(b: Buffer, j: number, n: number): number {
  while (j + 3 < n) {
    const y0 = b[j];
    const y1 = b[j + 1];
    const y2 = b[j + 2];
    const y3 = b[j + 3];
    if (y0 === QUOTE || y0 === BACKSLASH || y1 === QUOTE || y1 === BACKSLASH) break;
    if (y2 === QUOTE || y2 === BACKSLASH || y3 === QUOTE || y3 === BACKSLASH) break;
    j += 4;
  }
  while (j < n) {
    const c = b[j];
    if (c === QUOTE) return j;
    j += c === BACKSLASH ? 2 : 1;
  }
  return n;
}

function growStack(s: JsonScanner, old: Uint8Array): Uint8Array {
  const n = new Uint8Array(old.length * 2);
  n.set(old);
  s.stack = n;
  return n;
}

/** A pull scanner over one JSON document in a Buffer; positions are byte offsets. */
export class JsonScanner {
  i = 0;
  /** key range of the last key() call */
  private ks = 0;
  private ke = 0;
  private kEsc = false;
  /** closing brackets of skip()'s open containers */
  stack: Uint8Array = new Uint8Array(64);
  constructor(readonly b: Buffer) {}

  fail(what: string): never {
    const at = this.i >= this.b.length ? 'at the end of the body (cut short?)' : `at byte ${this.i}`;
    throw new JsonScanError(`${what} ${at}`);
  }

  /** The next non-blank byte, not consumed. */
  peek(): number {
    const b = this.b;
    let i = this.i;
    while (i < b.length) {
      const c = b[i];
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else break;
    }
    this.i = i;
    if (i >= b.length) this.fail('unexpected end of JSON');
    return b[i];
  }

  expect(c: number, what: string): void {
    if (this.peek() !== c) this.fail(`expected ${what}`);
    this.i++;
  }

  /** The end (index of the closing quote) of the string whose opening quote is at this.i. */
  private stringEnd(): number {
    const n = this.b.length;
    const j = stringClose(this.b, this.i + 1, n);
    if (j < n) return j;
    this.i = n;
    return this.fail('unterminated string');
  }

  skipString(): void {
    this.i = this.stringEnd() + 1;
  }

  /** A string value (at this.i, after peek()). */
  string(): string {
    if (this.b[this.i] !== QUOTE) this.fail('expected a string');
    const s = this.i;
    const e = this.stringEnd();
    this.i = e + 1;
    const b = this.b;
    for (let j = s + 1; j < e; j++) {
      const c = b[j];
      if (c === BACKSLASH || c < 0x20) return this.decodeJson(s, e + 1) as string; // escapes (and invalid control bytes) the slow, exact way
    }
    return b.toString('utf8', s + 1, e);
  }

  private decodeJson(s: number, e: number): unknown {
    try {
      return JSON.parse(this.b.toString('utf8', s, e));
    } catch (err) {
      this.i = s;
      return this.fail(`bad JSON value (${(err as Error).message})`);
    }
  }

  /** Skip one value of any type, checking that brackets balance and strings end. */
  skip(): void {
    const c = this.peek();
    if (c === QUOTE) return this.skipString();
    if (c !== 0x7b && c !== 0x5b) {
      this.scalarEnd();
      return;
    }
    const b = this.b;
    const n = b.length;
    const stack = this.stack;
    let depth = 0;
    let i = this.i;
    while (i < n) {
      const x = b[i++];
      if (x === QUOTE) i = stringClose(b, i, n) + 1;
      else if (x === 0x7b || x === 0x5b) {
        if (depth === stack.length) this.stack = stack.length ? growStack(this, stack) : stack;
        this.stack[depth++] = x + 2; // } is { + 2, ] is [ + 2
      } else if (x === 0x7d || x === 0x5d) {
        if (depth === 0 || this.stack[--depth] !== x) {
          this.i = i - 1;
          this.fail('mismatched bracket');
        }
        if (depth === 0) {
          this.i = i;
          return;
        }
      }
    }
    this.i = n;
    this.fail('unexpected end of JSON');
  }

  /** A number, true, false or null: its end, checked by JSON.parse only when it is read. */
  private scalarEnd(): number {
    const b = this.b;
    const s = this.i;
    let i = s;
    while (i < b.length) {
      const c = b[i];
      if (c === 0x2c || c === 0x7d || c === 0x5d || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09 || c === 0x3a) break;
      i++;
    }
    if (i === s) this.fail('expected a value');
    if (i >= b.length) this.fail('unexpected end of JSON');
    this.i = i;
    return i;
  }

  /** Any value as JSON.parse gives it (for the rare field read in full). */
  value(): unknown {
    const c = this.peek();
    if (c === QUOTE) return this.string();
    const s = this.i;
    if (c === 0x7b || c === 0x5b) this.skip();
    else this.scalarEnd();
    return this.decodeJson(s, this.i);
  }

  isNull(): boolean {
    const b = this.b;
    if (this.peek() === 0x6e && b[this.i + 1] === 0x75 && b[this.i + 2] === 0x6c && b[this.i + 3] === 0x6c) {
      this.i += 4;
      return true;
    }
    return false;
  }

  /**
   * Object iteration: call after '{' is consumed (or after a value); reads `,` / `}` and the next key.
   * Returns false at the end of the object. The key is compared with is().
   */
  nextKey(first: boolean): boolean {
    const c = this.peek();
    if (c === 0x7d) {
      this.i++;
      return false;
    }
    if (!first) {
      if (c !== 0x2c) this.fail("expected ',' or '}'");
      this.i++;
      this.peek();
    }
    if (this.b[this.i] !== QUOTE) this.fail('expected a key');
    this.ks = this.i + 1;
    this.ke = this.stringEnd();
    this.i = this.ke + 1;
    let esc = false;
    for (let j = this.ks; j < this.ke; j++) if (this.b[j] === BACKSLASH) esc = true;
    this.kEsc = esc;
    this.expect(0x3a, "':'");
    return true;
  }

  /** Array iteration: call after '[' is consumed; true while there is a next element. */
  nextElem(first: boolean): boolean {
    const c = this.peek();
    if (c === 0x5d) {
      this.i++;
      return false;
    }
    if (!first) {
      if (c !== 0x2c) this.fail("expected ',' or ']'");
      this.i++;
    }
    return true;
  }

  /** Is the last key `k`? (byte compare; a key with escapes is decoded first) */
  is(k: Uint8Array): boolean {
    const n = this.ke - this.ks;
    if (this.kEsc) return JSON.parse(this.b.toString('utf8', this.ks - 1, this.ke + 1)) === Buffer.from(k).toString('latin1');
    if (n !== k.length) return false;
    const b = this.b;
    for (let j = 0; j < n; j++) if (b[this.ks + j] !== k[j]) return false;
    return true;
  }

  keyText(): string {
    return this.kEsc
      ? (JSON.parse(this.b.toString('utf8', this.ks - 1, this.ke + 1)) as string)
      : this.b.toString('utf8', this.ks, this.ke);
  }

  /** An object's or array's opening bracket; false (consumed) for null, a JsonScanError for anything else. */
  open(c: 0x7b | 0x5b, what: string): boolean {
    if (this.isNull()) return false;
    if (this.peek() !== c) this.fail(`${what}: expected ${c === 0x7b ? 'an object' : 'an array'}`);
    this.i++;
    return true;
  }

  /** A string or null (undefined); anything else is an error naming `what`. */
  optString(what: string): string | undefined {
    if (this.isNull()) return undefined;
    if (this.peek() !== QUOTE) this.fail(`${what}: expected a string`);
    return this.string();
  }

  end(): void {
    const b = this.b;
    while (this.i < b.length) {
      const c = b[this.i];
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else this.fail('trailing data after the JSON document');
    }
  }
}
