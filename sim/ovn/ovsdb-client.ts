/**
 * A small OVSDB JSON-RPC 1.0 client (RFC 7047) over a unix socket (or tcp host:port).
 *
 * - Messages on the wire are concatenated JSON objects with no delimiter: JsonStreamFramer scans
 *   bytes incrementally (depth + string/escape state) and hands out each complete object.
 * - Requests carry increasing numeric ids; responses are matched by id.
 * - The server's `echo` requests (inactivity probes) are answered.
 * - `transact` throws OvsdbTransactError naming the failing op index and the server's error/details.
 *
 *   const c = await OvsdbClient.connect('/tmp/nh-x/1/nb.sock');
 *   const [r] = await c.transact('OVN_Northbound', [{ op: 'insert', table: 'Logical_Switch', row: { name: 'sw0' } }]);
 *   await c.close();
 */
import net from 'node:net';
import type { OvsdbCondition, OvsdbOperation, OvsdbOpResult, OvsdbRow } from './ovsdb-types.ts';

export * from './ovsdb-types.ts';

export class OvsdbError extends Error {
  override name = 'OvsdbError';
}

/** The connection failed, closed, or a request timed out. */
export class OvsdbConnectionError extends OvsdbError {
  override name = 'OvsdbConnectionError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The server answered a request with a JSON-RPC error (not a transact op failure). */
export class OvsdbRpcError extends OvsdbError {
  override name = 'OvsdbRpcError';
  constructor(
    readonly method: string,
    readonly error: unknown,
  ) {
    super(`ovsdb ${method}: ${typeof error === 'string' ? error : JSON.stringify(error)}`);
  }
}

/**
 * A transaction was rejected. opIndex is the failing operation (== ops.length when the failure is
 * at commit time, e.g. "referential integrity violation" or "constraint violation").
 */
export class OvsdbTransactError extends OvsdbError {
  override name = 'OvsdbTransactError';
  constructor(
    readonly db: string,
    readonly opIndex: number,
    readonly op: OvsdbOperation | undefined,
    readonly error: string,
    readonly details: string | undefined,
    readonly results: (OvsdbOpResult | null)[],
  ) {
    const where = op ? `op ${opIndex} (${op.op}${'table' in op ? ` ${op.table}` : ''})` : `commit (after ${opIndex} ops)`;
    super(`ovsdb transact ${db}: ${where} failed: ${error}${details ? `: ${details}` : ''}`);
  }
}

/** Incremental splitter of concatenated JSON texts (objects or arrays) in a byte stream. */
export class JsonStreamFramer {
  private parts: Buffer[] = [];
  private depth = 0;
  private inString = false;
  private escape = false;

  /** Feed bytes; returns the complete JSON texts they finish (parsed). Throws SyntaxError on garbage. */
  push(chunk: Buffer): unknown[] {
    const out: unknown[] = [];
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (this.inString) {
        if (this.escape) this.escape = false;
        else if (c === 0x5c)
          this.escape = true; // backslash
        else if (c === 0x22) this.inString = false; // quote
        continue;
      }
      if (this.depth === 0) {
        // between messages: skip whitespace
        if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
          start = i + 1;
          continue;
        }
        if (c !== 0x7b && c !== 0x5b) throw new SyntaxError(`ovsdb stream: unexpected byte 0x${c.toString(16)} between messages`);
      }
      if (c === 0x22) this.inString = true;
      else if (c === 0x7b || c === 0x5b) this.depth++;
      else if (c === 0x7d || c === 0x5d) {
        this.depth--;
        if (this.depth === 0) {
          const piece = chunk.subarray(start, i + 1);
          const text = this.parts.length ? Buffer.concat([...this.parts, piece]) : piece;
          this.parts = [];
          out.push(JSON.parse(text.toString('utf8')));
          start = i + 1;
        }
      }
    }
    if (start < chunk.length && (this.depth > 0 || this.inString)) this.parts.push(chunk.subarray(start));
    return out;
  }

  /** Bytes of an unfinished message are buffered. */
  get pending(): boolean {
    return this.parts.length > 0 || this.depth > 0;
  }
}

interface RpcMessage {
  id?: unknown;
  method?: string;
  params?: unknown[];
  result?: unknown;
  error?: unknown;
}

interface Pending {
  method: string;
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer?: NodeJS.Timeout;
}

export interface OvsdbConnectOptions {
  /** Keep retrying ENOENT / ECONNREFUSED for this long (server still starting). Default 0. */
  waitMs?: number;
  /** Per-request timeout; 0 = none. Default 30000. */
  requestTimeoutMs?: number;
}

export type OvsdbNotificationHandler = (method: string, params: unknown[]) => void;

/** Wire traffic of one connection (benchmarks read it; counting costs two additions per message). */
export interface OvsdbTraffic {
  /** requests sent, by method */
  requests: Record<string, number>;
  bytesOut: number;
  bytesIn: number;
  /** notifications received (monitor `update`/`update2`, ...) */
  notifications: number;
}

/** Column/table layout as returned by get_schema (only the parts callers use are typed). */
export interface OvsdbSchema {
  name: string;
  version: string;
  tables: Record<
    string,
    { columns: Record<string, { type: unknown; ephemeral?: boolean; mutable?: boolean }>; isRoot?: boolean; indexes?: string[][] }
  >;
}

export class OvsdbClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly framer = new JsonStreamFramer();
  private readonly handlers = new Set<OvsdbNotificationHandler>();
  private closedErr: Error | undefined;
  private readonly closedPromise: Promise<void>;
  readonly traffic: OvsdbTraffic = { requests: {}, bytesOut: 0, bytesIn: 0, notifications: 0 };

  private constructor(
    private readonly sock: net.Socket,
    readonly target: string,
    private readonly requestTimeoutMs: number,
  ) {
    let onClosed!: () => void;
    this.closedPromise = new Promise((r) => (onClosed = r));
    sock.on('data', (chunk: Buffer) => this.onData(chunk));
    sock.on('error', (err) => this.fail(new OvsdbConnectionError(`ovsdb ${target}: ${err.message}`, { cause: err })));
    sock.on('close', () => {
      this.fail(new OvsdbConnectionError(`ovsdb ${target}: connection closed`));
      onClosed();
    });
  }

  /** socketPath: a unix socket path, 'unix:<path>', or 'tcp:<host>:<port>'. */
  static async connect(socketPath: string, opts: OvsdbConnectOptions = {}): Promise<OvsdbClient> {
    const deadline = Date.now() + (opts.waitMs ?? 0);
    for (;;) {
      try {
        const sock = await openSocket(socketPath);
        return new OvsdbClient(sock, socketPath, opts.requestTimeoutMs ?? 30_000);
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if ((code === 'ENOENT' || code === 'ECONNREFUSED') && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 25));
          continue;
        }
        throw new OvsdbConnectionError(`ovsdb connect ${socketPath}: ${(err as Error).message}`, { cause: err });
      }
    }
  }

  get closed(): boolean {
    return this.closedErr !== undefined;
  }

  /** Notifications (`update`, `update2`, `locked`, ...). Returns the unsubscribe function. */
  onNotification(handler: OvsdbNotificationHandler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Raw JSON-RPC request. Rejects with OvsdbRpcError when the response carries an error. */
  request(method: string, params: unknown[]): Promise<unknown> {
    if (this.closedErr) return Promise.reject(this.closedErr);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const p: Pending = { method, resolve, reject };
      if (this.requestTimeoutMs > 0) {
        p.timer = setTimeout(() => {
          this.pending.delete(id);
          reject(new OvsdbConnectionError(`ovsdb ${this.target}: ${method} timed out after ${this.requestTimeoutMs} ms`));
        }, this.requestTimeoutMs);
      }
      this.pending.set(id, p);
      const text = JSON.stringify({ method, params, id });
      this.traffic.requests[method] = (this.traffic.requests[method] ?? 0) + 1;
      this.traffic.bytesOut += text.length;
      this.sock.write(text);
    });
  }

  /**
   * Runs the operations as one transaction. Resolves with one result per op; throws
   * OvsdbTransactError if any op (or the commit) failed — OVSDB then rolls back the whole transaction.
   */
  async transact(db: string, ops: OvsdbOperation[]): Promise<OvsdbOpResult[]> {
    const res = (await this.request('transact', [db, ...ops])) as (OvsdbOpResult | null)[];
    if (!Array.isArray(res)) throw new OvsdbError(`ovsdb transact ${db}: malformed result ${JSON.stringify(res)}`);
    for (let i = 0; i < res.length; i++) {
      const r = res[i];
      if (r && typeof r.error === 'string') throw new OvsdbTransactError(db, i, ops[i], r.error, r.details, res);
    }
    return res as OvsdbOpResult[];
  }

  /** select rows of a table (all rows when where is empty). */
  async select(db: string, table: string, where: OvsdbCondition[] = [], columns?: string[]): Promise<OvsdbRow[]> {
    const op: OvsdbOperation = columns ? { op: 'select', table, where, columns } : { op: 'select', table, where };
    const [r] = await this.transact(db, [op]);
    return r.rows ?? [];
  }

  /** JSON-RPC echo: resolves with the same params. */
  async echo(...params: unknown[]): Promise<unknown[]> {
    return (await this.request('echo', params)) as unknown[];
  }

  async listDbs(): Promise<string[]> {
    return (await this.request('list_dbs', [])) as string[];
  }

  async getSchema(db: string): Promise<OvsdbSchema> {
    return (await this.request('get_schema', [db])) as OvsdbSchema;
  }

  /** monitor: returns the initial table-updates; later `update` notifications go to onNotification handlers. */
  async monitor(
    db: string,
    monitorId: unknown,
    requests: Record<string, { columns?: string[]; select?: Record<string, boolean> }>,
  ): Promise<unknown> {
    return this.request('monitor', [db, monitorId, requests]);
  }

  async close(): Promise<void> {
    if (this.sock.destroyed) return;
    this.sock.end();
    const t = setTimeout(() => this.sock.destroy(), 500);
    await this.closedPromise;
    clearTimeout(t);
  }

  private onData(chunk: Buffer): void {
    this.traffic.bytesIn += chunk.length;
    let msgs: unknown[];
    try {
      msgs = this.framer.push(chunk);
    } catch (err) {
      this.fail(new OvsdbConnectionError(`ovsdb ${this.target}: ${(err as Error).message}`, { cause: err }));
      this.sock.destroy();
      return;
    }
    for (const m of msgs) this.onMessage(m as RpcMessage);
  }

  private onMessage(m: RpcMessage): void {
    if (typeof m.method === 'string') {
      if (m.id !== undefined && m.id !== null) {
        // a request from the server: only echo is defined for clients
        if (m.method === 'echo') this.sock.write(JSON.stringify({ result: m.params ?? [], error: null, id: m.id }));
        else this.sock.write(JSON.stringify({ result: null, error: 'unknown method', id: m.id }));
        return;
      }
      this.traffic.notifications++;
      for (const h of this.handlers) h(m.method, m.params ?? []);
      return;
    }
    if (typeof m.id !== 'number') return;
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (p.timer) clearTimeout(p.timer);
    if (m.error !== null && m.error !== undefined) p.reject(new OvsdbRpcError(p.method, m.error));
    else p.resolve(m.result);
  }

  private fail(err: Error): void {
    if (!this.closedErr) this.closedErr = err;
    for (const [id, p] of this.pending) {
      if (p.timer) clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(err);
    }
  }
}

function openSocket(target: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    let sock: net.Socket;
    if (target.startsWith('tcp:')) {
      const rest = target.slice(4);
      const i = rest.lastIndexOf(':');
      sock = net.createConnection({ host: rest.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(rest.slice(i + 1)) });
    } else {
      sock = net.createConnection({ path: target.replace(/^(unix|punix):/, '') });
    }
    const onErr = (err: Error) => reject(err);
    sock.once('error', onErr);
    sock.once('connect', () => {
      sock.off('error', onErr);
      resolve(sock);
    });
  });
}
