import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  JsonStreamFramer,
  OvsdbClient,
  OvsdbConnectionError,
  OvsdbRpcError,
  OvsdbTransactError,
  fromOvsMap,
  fromOvsOptional,
  fromOvsSet,
  fromOvsStringMap,
  fromOvsUuid,
  fromOvsUuidSet,
  namedUuid,
  toOvsMap,
  toOvsOptional,
  toOvsSet,
  uuid,
} from '../../sim/ovn/ovsdb-client.ts';
import { startTempNb, type TempOvsdb } from './ovsdb-server-fixture.ts';

const NB = 'OVN_Northbound';

describe('JsonStreamFramer', () => {
  it('splits concatenated objects and handles chunk boundaries, strings with braces and escapes', () => {
    const f = new JsonStreamFramer();
    const text = '{"a":"}{\\"x"}[1,{"b":[2]}]\n {"c":"é"}';
    const buf = Buffer.from(text, 'utf8');
    const out: unknown[] = [];
    for (let i = 0; i < buf.length; i += 3) out.push(...f.push(buf.subarray(i, i + 3)));
    expect(out).toEqual([{ a: '}{"x' }, [1, { b: [2] }], { c: 'é' }]);
    expect(f.pending).toBe(false);
  });

  it('byte-at-a-time gives the same result', () => {
    const f = new JsonStreamFramer();
    const buf = Buffer.from('{"id":1,"result":[{"rows":[{"name":"x\\\\"}]}]}{"id":2}');
    const out: unknown[] = [];
    for (let i = 0; i < buf.length; i++) out.push(...f.push(buf.subarray(i, i + 1)));
    expect(out).toEqual([{ id: 1, result: [{ rows: [{ name: 'x\\' }] }] }, { id: 2 }]);
  });

  it('rejects garbage between messages', () => {
    expect(() => new JsonStreamFramer().push(Buffer.from('x{}'))).toThrow(SyntaxError);
  });
});

describe('converters', () => {
  it('round-trips sets, maps, optionals and uuids', () => {
    expect(toOvsSet(['a', 'b'])).toEqual(['set', ['a', 'b']]);
    expect(fromOvsSet('a')).toEqual(['a']);
    expect(fromOvsSet(['set', []])).toEqual([]);
    expect(toOvsMap({ b: '2', a: '1' })).toEqual([
      'map',
      [
        ['a', '1'],
        ['b', '2'],
      ],
    ]);
    expect(fromOvsStringMap(['map', [['k', 'v']]])).toEqual({ k: 'v' });
    expect(fromOvsMap(['set', []])).toEqual({});
    expect(toOvsOptional(undefined)).toEqual(['set', []]);
    expect(fromOvsOptional(['set', []])).toBeUndefined();
    expect(fromOvsOptional(5)).toBe(5);
    expect(fromOvsUuid(uuid('u1'))).toBe('u1');
    expect(fromOvsUuid(['set', [uuid('u2')]])).toBe('u2');
    expect(fromOvsUuidSet(['set', [uuid('a'), uuid('b')]])).toEqual(['a', 'b']);
    expect(fromOvsUuidSet(uuid('a'))).toEqual(['a']);
  });
});

describe('OvsdbClient against a real ovsdb-server', () => {
  let srv: TempOvsdb;
  let c: OvsdbClient;
  beforeAll(async () => {
    srv = await startTempNb();
    c = await OvsdbClient.connect(srv.socket, { waitMs: 2000 });
  });
  afterAll(async () => {
    await c?.close();
    await srv?.stop();
  });

  it('echo and list_dbs', async () => {
    expect(await c.echo('hi', 1)).toEqual(['hi', 1]);
    expect(await c.listDbs()).toContain(NB);
    const schema = await c.getSchema(NB);
    expect(Object.keys(schema.tables)).toContain('Logical_Router_Policy');
  });

  it('inserts with named-uuid references and selects them back', async () => {
    const res = await c.transact(NB, [
      {
        op: 'insert',
        table: 'Logical_Switch_Port',
        row: { name: 'p1', addresses: toOvsSet(['0a:58:0a:80:00:05 10.128.0.5']) },
        'uuid-name': 'lsp',
      },
      {
        op: 'insert',
        table: 'Logical_Switch',
        row: { name: 'sw1', ports: toOvsSet([namedUuid('lsp')]), external_ids: toOvsMap({ 'k8s.ovn.org/network': 'default' }) },
      },
    ]);
    expect(res).toHaveLength(2);
    const lspUuid = fromOvsUuid(res[0].uuid);
    const rows = await c.select(NB, 'Logical_Switch', [['name', '==', 'sw1']], ['name', 'ports', 'external_ids']);
    expect(rows).toHaveLength(1);
    expect(fromOvsUuidSet(rows[0].ports)).toEqual([lspUuid]);
    expect(fromOvsStringMap(rows[0].external_ids)).toEqual({ 'k8s.ovn.org/network': 'default' });
  });

  it('mutate, update, delete, count', async () => {
    await c.transact(NB, [{ op: 'insert', table: 'Address_Set', row: { name: 'as1', addresses: toOvsSet(['10.0.0.1']) } }]);
    const [m] = await c.transact(NB, [
      { op: 'mutate', table: 'Address_Set', where: [['name', '==', 'as1']], mutations: [['addresses', 'insert', toOvsSet(['10.0.0.2'])]] },
    ]);
    expect(m.count).toBe(1);
    const [u] = await c.transact(NB, [
      { op: 'update', table: 'Address_Set', where: [['name', '==', 'as1']], row: { external_ids: toOvsMap({ a: 'b' }) } },
    ]);
    expect(u.count).toBe(1);
    const [row] = await c.select(NB, 'Address_Set', [['name', '==', 'as1']]);
    expect(fromOvsSet(row.addresses).sort()).toEqual(['10.0.0.1', '10.0.0.2']);
    const [d] = await c.transact(NB, [{ op: 'delete', table: 'Address_Set', where: [['name', '==', 'as1']] }]);
    expect(d.count).toBe(1);
  });

  it('throws OvsdbTransactError with the failing op index and rolls back', async () => {
    const err = await c
      .transact(NB, [
        { op: 'insert', table: 'Address_Set', row: { name: 'rollback-me' } },
        { op: 'insert', table: 'No_Such_Table', row: {} },
      ])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OvsdbTransactError);
    const te = err as OvsdbTransactError;
    expect(te.opIndex).toBe(1);
    expect(te.error).toBe('syntax error');
    expect(te.details).toContain('No_Such_Table');
    expect(te.message).toContain('op 1 (insert No_Such_Table)');
    expect(await c.select(NB, 'Address_Set', [['name', '==', 'rollback-me']])).toEqual([]);
  });

  it('reports commit-time failures (index constraint) with opIndex == ops.length', async () => {
    await c.transact(NB, [{ op: 'insert', table: 'Address_Set', row: { name: 'dup' } }]);
    const err = await c.transact(NB, [{ op: 'insert', table: 'Address_Set', row: { name: 'dup' } }]).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OvsdbTransactError);
    const te = err as OvsdbTransactError;
    expect(te.opIndex).toBe(1);
    expect(te.error).toBe('constraint violation');
    expect(te.details).toMatch(/dup/);
  });

  it('rpc errors are OvsdbRpcError', async () => {
    await expect(c.request('no_such_method', [])).rejects.toBeInstanceOf(OvsdbRpcError);
  });

  it('handles concurrent requests and a large result', async () => {
    const ops = Array.from({ length: 2000 }, (_, i) => ({
      op: 'insert' as const,
      table: 'NAT',
      row: {
        type: 'snat',
        external_ip: '172.18.0.100',
        logical_ip: `10.${128 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`,
        external_ids: toOvsMap({ name: `eip-${i}` }),
      },
      'uuid-name': `nat${i}`,
    }));
    // NAT is not a root table: rows must be referenced by a router or they are garbage collected
    const res = await c.transact(NB, [
      ...ops,
      { op: 'insert', table: 'Logical_Router', row: { name: 'GR_big', nat: toOvsSet(ops.map((_, i) => namedUuid(`nat${i}`))) } },
    ]);
    expect(res).toHaveLength(2001);
    const [rows, echoed] = await Promise.all([c.select(NB, 'NAT'), c.echo('x')]);
    expect(rows).toHaveLength(2000);
    expect(echoed).toEqual(['x']);
  });

  it('monitor delivers update notifications', async () => {
    const m2 = await OvsdbClient.connect(srv.socket);
    try {
      const updates: unknown[] = [];
      m2.onNotification((method, params) => {
        if (method === 'update') updates.push(params);
      });
      await m2.monitor(NB, 'mon1', { Logical_Router: { columns: ['name'] } });
      await c.transact(NB, [{ op: 'insert', table: 'Logical_Router', row: { name: 'r-mon' } }]);
      const deadline = Date.now() + 2000;
      while (updates.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(JSON.stringify(updates)).toContain('r-mon');
    } finally {
      await m2.close();
    }
  });

  it('connect fails with OvsdbConnectionError on a missing socket and close rejects pending', async () => {
    await expect(OvsdbClient.connect(`${srv.dir}/nope.sock`)).rejects.toBeInstanceOf(OvsdbConnectionError);
    const c2 = await OvsdbClient.connect(`unix:${srv.socket}`);
    await c2.close();
    expect(c2.closed).toBe(true);
    await expect(c2.echo()).rejects.toBeInstanceOf(OvsdbConnectionError);
  });
});

describe('OvsdbClient against a scripted server', () => {
  it("answers the server's echo requests and matches split / interleaved responses by id", async () => {
    const sock = path.join(os.tmpdir(), `nh-fake-ovsdb-${process.pid}.sock`);
    let echoReply: unknown;
    const server = net.createServer((conn) => {
      let buf = '';
      conn.on('data', (d: Buffer) => {
        buf += d.toString();
        // the client sends one JSON object per request; our requests contain no nested braces here
        let i: number;
        while ((i = buf.indexOf('}')) >= 0) {
          const msg = JSON.parse(buf.slice(0, i + 1)) as { id: unknown; method?: string; result?: unknown };
          buf = buf.slice(i + 1);
          if (msg.id === 'probe') {
            echoReply = msg;
            continue;
          }
          if (msg.method === 'list_dbs') {
            // a server echo request first, then the answer split in two writes
            conn.write('{"method":"echo","params":[],"id":"probe"}');
            const text = JSON.stringify({ id: msg.id, result: ['A', 'B'], error: null });
            conn.write(text.slice(0, 7));
            setTimeout(() => conn.write(text.slice(7)), 20);
          }
        }
      });
    });
    await new Promise<void>((r) => server.listen(sock, r));
    try {
      const c = await OvsdbClient.connect(sock);
      expect(await c.listDbs()).toEqual(['A', 'B']);
      expect(echoReply).toEqual({ result: [], error: null, id: 'probe' });
      await c.close();
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
