/**
 * The zone controller's handle on its NB database, over sim/ovn's OvsdbClient (JSON-RPC).
 *
 * Reads come from an NbCache fed by an OVSDB `monitor` on the same connection (what ovnkube's
 * libovsdb client does), not from a `select` of every model table per event batch:
 * - the monitor's initial reply fills the cache; its `update` notifications keep it current, for our
 *   own transactions and for anyone else's (ovn-nbctl by hand, another client);
 * - ovsdb-server sends a connection's pending monitor updates before any reply on that connection
 *   (openvswitch/ovs ovsdb/jsonrpc-server.c: ovsdb_jsonrpc_session_send() calls
 *   ovsdb_jsonrpc_monitor_flush_all() first), so when transact() resolves, the cache already holds
 *   the transaction's own changes;
 * - state() first sends an `echo` and waits for its reply (the same flush rule): a read barrier, so
 *   the snapshot holds every change committed before the read, e.g. an ovn-nbctl edit that returned
 *   just before an API event, exactly what a full read at that moment would have returned;
 * - a lost connection or a cancelled monitor (`monitor_canceled`, e.g. the database was converted)
 *   closes the handle; the zone controller then reports itself broken and the supervisor starts a
 *   new one, whose connect() monitors afresh and rebuilds the cache from the new initial reply.
 *
 * NETHARNESS_SIM_NB_READ=dump turns the monitor off and reads the whole NB per batch again (the old
 * path), so bench/cluster.bench.ts can measure both side by side. Not meant for anything else.
 */
import { OvsdbClient, type OvsdbOperation, type OvsdbTraffic } from '../ovn/ovsdb-client.ts';
import { decodeActual, type ActualState, type OvsdbOp, type RawRow } from './diff.ts';
import { NbCache, type NbCacheStats, type TableUpdates } from './nb-cache.ts';
import { MODEL_COLUMNS, NB_TABLES, type NbTable } from './nb-model.ts';

export const NB_DB_NAME = 'OVN_Northbound';

/** How the controller reads its NB: `monitor` (default, cache) or `dump` (a full select per read). */
export type NbReadMode = 'monitor' | 'dump';

export const NB_READ_ENV = 'NETHARNESS_SIM_NB_READ';

export function nbReadMode(env: NodeJS.ProcessEnv = process.env): NbReadMode {
  const v = env[NB_READ_ENV];
  if (v === undefined || v === '' || v === 'monitor') return 'monitor';
  if (v === 'dump') return 'dump';
  throw new Error(`${NB_READ_ENV} must be 'monitor' or 'dump', got '${v}'`);
}

export interface NbConnStats extends NbCacheStats {
  /** full reads of every model table (select); 0 with the monitor after connect */
  dumps: number;
}

export interface NbConn {
  transact(ops: OvsdbOp[]): Promise<unknown[]>;
  /** Every row of the model tables, decoded: the monitor cache (or a full read in dump mode). */
  state(): Promise<ActualState>;
  /** Every row of the model tables, read now with one select per table (not the cache). */
  dump(): Promise<ActualState>;
  /** QoS.action accepts the key "mark" (OVN >= 23.06). */
  readonly qosMarkSupported: boolean;
  readonly mode: NbReadMode;
  readonly stats: NbConnStats;
  readonly closed: boolean;
  close(): Promise<void>;
}

const CONTAINER_COLS: Partial<Record<NbTable, string[]>> = {
  Logical_Router: ['ports', 'policies', 'nat', 'static_routes'],
  Logical_Switch: ['ports', 'qos_rules'],
};

/** The monitored / selected columns of a model table. */
const columnsOf = (t: NbTable): string[] => [...MODEL_COLUMNS[t], ...(CONTAINER_COLS[t] ?? [])];

export async function connectNb(socketPath: string, waitMs = 20_000, mode: NbReadMode = nbReadMode()): Promise<NbConn> {
  const c = await OvsdbClient.connect(socketPath, { waitMs });
  try {
    return await fromClient(c, mode);
  } catch (err) {
    await c.close().catch(() => undefined);
    throw err;
  }
}

let monitorSeq = 0;

/**
 * The zone controllers' NB transactions in this process, for benchmarks: one entry per transact
 * (ops, bytes sent), and each connection's wire traffic (monitor updates included).
 */
export const nbTraffic: { transacts: { ops: number; bytes: number }[]; conns: OvsdbTraffic[] } = { transacts: [], conns: [] };

export async function fromClient(c: OvsdbClient, mode: NbReadMode = nbReadMode()): Promise<NbConn> {
  const schema = await c.getSchema(NB_DB_NAME);
  const qosAction = JSON.stringify(schema.tables.QoS?.columns.action?.type ?? '');
  const qosMarkSupported = qosAction.includes('"mark"');
  const cache = new NbCache();
  if (nbTraffic.conns.length < 10_000) nbTraffic.conns.push(c.traffic);
  let dumps = 0;
  const stats: NbConnStats = {
    get resets() {
      return cache.stats.resets;
    },
    get updates() {
      return cache.stats.updates;
    },
    get rowChanges() {
      return cache.stats.rowChanges;
    },
    get dumps() {
      return dumps;
    },
  };
  const dump = async (): Promise<ActualState> => {
    dumps++;
    const ops: OvsdbOperation[] = NB_TABLES.map((t) => ({ op: 'select', table: t, where: [], columns: ['_uuid', ...columnsOf(t)] }));
    const res = await c.transact(NB_DB_NAME, ops);
    const raw: Partial<Record<NbTable, RawRow[]>> = {};
    NB_TABLES.forEach((t, i) => (raw[t] = (res[i]?.rows ?? []) as RawRow[]));
    return decodeActual(raw);
  };

  if (mode === 'monitor') {
    const id = `nh-ovnkube-${++monitorSeq}`;
    let ready = false;
    const early: TableUpdates[] = [];
    c.onNotification((method, params) => {
      if (params[0] !== id) return;
      if (method === 'update') {
        const u = (params[1] ?? {}) as TableUpdates;
        if (ready) cache.apply(u);
        else early.push(u);
      } else if (method === 'monitor_canceled') {
        // the server dropped our monitor (database converted or removed): the cache cannot follow any more
        void c.close();
      }
    });
    const requests: Record<string, { columns: string[] }> = {};
    for (const t of NB_TABLES) requests[t] = { columns: columnsOf(t) };
    const initial = (await c.monitor(NB_DB_NAME, id, requests)) as TableUpdates;
    cache.reset(initial ?? {});
    for (const u of early) cache.apply(u);
    ready = true;
  }

  return {
    qosMarkSupported,
    mode,
    stats,
    get closed() {
      return c.closed;
    },
    async transact(ops) {
      if (ops.length === 0) return [];
      const b0 = c.traffic.bytesOut;
      const res = c.transact(NB_DB_NAME, ops as unknown as OvsdbOperation[]);
      if (nbTraffic.transacts.length < 100_000) nbTraffic.transacts.push({ ops: ops.length, bytes: c.traffic.bytesOut - b0 });
      return res;
    },
    async state() {
      if (mode === 'dump') return dump();
      if (c.closed) throw new Error(`NB ${c.target}: connection closed, the monitor cache is stale`);
      await c.echo('nh-read-barrier');
      return cache.snapshot();
    },
    dump,
    close: () => c.close(),
  };
}
