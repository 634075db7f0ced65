/**
 * The zone controller's handle on its NB database, over sim/ovn's OvsdbClient (JSON-RPC).
 */
import { OvsdbClient, type OvsdbOperation } from '../ovn/ovsdb-client.ts';
import { decodeActual, type ActualState, type OvsdbOp, type RawRow } from './diff.ts';
import { MODEL_COLUMNS, NB_TABLES, type NbTable } from './nb-model.ts';

export const NB_DB_NAME = 'OVN_Northbound';

export interface NbConn {
  transact(ops: OvsdbOp[]): Promise<unknown[]>;
  /** Every row of the model tables, decoded. */
  dump(): Promise<ActualState>;
  /** QoS.action accepts the key "mark" (OVN >= 23.06). */
  readonly qosMarkSupported: boolean;
  readonly closed: boolean;
  close(): Promise<void>;
}

const CONTAINER_COLS: Partial<Record<NbTable, string[]>> = {
  Logical_Router: ['ports', 'policies', 'nat', 'static_routes'],
  Logical_Switch: ['ports', 'qos_rules'],
};

export async function connectNb(socketPath: string, waitMs = 20_000): Promise<NbConn> {
  const c = await OvsdbClient.connect(socketPath, { waitMs });
  return fromClient(c);
}

export async function fromClient(c: OvsdbClient): Promise<NbConn> {
  const schema = await c.getSchema(NB_DB_NAME);
  const qosAction = JSON.stringify(schema.tables.QoS?.columns.action?.type ?? '');
  const qosMarkSupported = qosAction.includes('"mark"');
  return {
    qosMarkSupported,
    get closed() {
      return c.closed;
    },
    async transact(ops) {
      if (ops.length === 0) return [];
      return c.transact(NB_DB_NAME, ops as unknown as OvsdbOperation[]);
    },
    async dump() {
      const ops: OvsdbOperation[] = NB_TABLES.map((t) => ({
        op: 'select',
        table: t,
        where: [],
        columns: ['_uuid', ...MODEL_COLUMNS[t], ...(CONTAINER_COLS[t] ?? [])],
      }));
      const res = await c.transact(NB_DB_NAME, ops);
      const raw: Partial<Record<NbTable, RawRow[]>> = {};
      NB_TABLES.forEach((t, i) => (raw[t] = (res[i]?.rows ?? []) as RawRow[]));
      return decodeActual(raw);
    },
    close: () => c.close(),
  };
}
