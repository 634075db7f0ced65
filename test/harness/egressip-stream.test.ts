/**
 * The NB dump parsed as the exec streams it (NbDumpStream, readNbFrom over a source with execNbStream): the same
 * rows as the string parse wherever the chunks split the output, and a clear error naming the node, never rows,
 * for output that is cut short or is not ovn-nbctl's.
 */
import { describe, expect, it } from 'vitest';
import {
  synthCluster,
  renderAsJson,
  renderLrpJson,
  renderNatJson,
  renderRouterJson,
  type SynthNode,
} from '../../harness/checks/egressip/synthetic.ts';
import { NbDumpStream, parseNodeDump, readNbFrom, type EgressIPSource } from '../../harness/checks/egressip/nb-reader.ts';
import { evaluateEgressIP } from '../../harness/checks/egressip/index.ts';
import { InfraError } from '../../harness/errors.ts';
import type { NodeDump } from '../../harness/checks/egressip/model.ts';

/** What NB_READ_ARGV prints: one JSON document per table per line. */
const lines = (n: SynthNode): string =>
  [renderNatJson(n.nat), renderLrpJson(n.lrp), renderAsJson(n.as), renderRouterJson(n.routers)].join('\n') + '\n';

function streamed(node: string, chunks: Buffer[]): NodeDump {
  const s = new NbDumpStream(node);
  for (const c of chunks) s.push(c);
  return s.done();
}

/** A small cluster whose first node's dump carries multi-byte UTF-8 (2-, 3- and 4-byte characters) in a map value. */
function smallDump(): { node: string; text: string; bytes: Buffer } {
  const c = synthCluster({ nodes: 3, eips: 1, podsPerEip: 3 });
  const [node, n] = [...c.nb][0];
  n.nat[0].external_ids = { ...n.nat[0].external_ids, note: 'ü ✓ 🚀 "q" \\ end' };
  const text = lines(n);
  return { node, text, bytes: Buffer.from(text, 'utf8') };
}

function fakeSource(outputs: Map<string, Buffer[]>): EgressIPSource {
  return {
    where: 'test source',
    readApi: () => Promise.reject(new Error('not used')),
    nbNodes: () => Promise.resolve([...outputs.keys()]),
    execNb: () => Promise.reject(new Error('the stream path must be used')),
    async execNbStream(node, _argv, _t, onStdout) {
      for (const c of outputs.get(node) ?? []) {
        await Promise.resolve();
        onStdout(c);
      }
    },
  };
}

describe('NbDumpStream: the same rows wherever the chunks split the output', () => {
  it('two chunks split at every byte position (inside documents, newlines and multi-byte characters)', () => {
    const { node, text, bytes } = smallDump();
    const want = parseNodeDump(node, text);
    expect(want.nat[0].external_ids.note).toBe('ü ✓ 🚀 "q" \\ end');
    expect(bytes.length).toBeGreaterThan(text.length); // the multi-byte characters are there
    for (let k = 0; k <= bytes.length; k++) {
      const got = streamed(node, [bytes.subarray(0, k), bytes.subarray(k)]);
      if (JSON.stringify(got) !== JSON.stringify(want)) expect({ split: k, got }).toEqual({ split: k, got: want });
    }
  });

  it('one byte per chunk, and three chunks at every pair of split positions around the 4-byte character', () => {
    const { node, text, bytes } = smallDump();
    const want = parseNodeDump(node, text);
    expect(
      streamed(
        node,
        [...bytes].map((b) => Buffer.from([b])),
      ),
    ).toEqual(want);
    const at = bytes.indexOf(Buffer.from('🚀', 'utf8'));
    for (let a = at - 2; a <= at + 4; a++)
      for (let b = a; b <= at + 6; b++)
        expect(streamed(node, [bytes.subarray(0, a), bytes.subarray(a, b), bytes.subarray(b)])).toEqual(want);
  });

  it('the last document without its newline, blank lines and CRLF line ends are read as ovn-nbctl means them', () => {
    const { node, text } = smallDump();
    const want = parseNodeDump(node, text);
    expect(streamed(node, [Buffer.from(text.trimEnd())])).toEqual(want);
    expect(streamed(node, [Buffer.from(`\n\n${text.replaceAll('\n', '\r\n')}\n`)])).toEqual(want);
  });

  it('findings are identical to the string parse on a cluster with faults', () => {
    const c = synthCluster({ nodes: 5, eips: 2, podsPerEip: 6 });
    const withSnat = [...c.nb.values()].find((x) => x.nat.some((r) => r.external_ids['k8s.ovn.org/owner-type'] === 'EgressIP'));
    const withReroute = [...c.nb.values()].find((x) => x.lrp.some((r) => r.priority === 100));
    withSnat?.nat.splice(
      withSnat.nat.findIndex((r) => r.external_ids['k8s.ovn.org/owner-type'] === 'EgressIP'),
      1,
    );
    const reroute = withReroute?.lrp.find((r) => r.priority === 100);
    if (reroute) reroute.nexthops = ['100.64.0.99'];
    const byString = new Map([...c.nb].map(([name, x]) => [name, parseNodeDump(name, lines(x))]));
    const byStream = new Map(
      [...c.nb].map(([name, x]) => {
        const b = Buffer.from(lines(x));
        return [name, streamed(name, [b.subarray(0, 7), b.subarray(7, 500), b.subarray(500)])];
      }),
    );
    const a = evaluateEgressIP(c.api, byString).findings;
    expect(a.length).toBeGreaterThan(0);
    expect(evaluateEgressIP(c.api, byStream).findings).toEqual(a);
  });
});

describe('NbDumpStream: output that is not a whole dump is an error, never rows', () => {
  it('cut short at every byte position', () => {
    const { node, bytes } = smallDump();
    // everything but the final newline is needed: each shorter output must throw
    for (let k = 0; k < bytes.length - 1; k++) {
      let rows: NodeDump | undefined;
      try {
        rows = streamed(node, [bytes.subarray(0, Math.floor(k / 2)), bytes.subarray(Math.floor(k / 2), k)]);
      } catch (err) {
        expect((err as Error).message).toMatch(/expected 4 tables|not JSON|expected \{"data"|cells for/);
        continue;
      }
      expect({ cut: k, rows }).toEqual({ cut: k, rows: undefined });
    }
  });

  it('garbage lines, a fifth document, a wrong shape, and a row of the wrong width', () => {
    const { node, text } = smallDump();
    const [nat, lrp, as, lr] = text.trimEnd().split('\n');
    const bad: [string, RegExp][] = [
      [`ovn-nbctl: unix:/var/run/ovn/ovnnb_db.sock: database connection failed (No such file or directory)\n`, /NAT: not JSON/],
      [`${nat}\n${lrp}\nWARNING: something\n${as}\n${lr}\n`, /Address_Set: not JSON/],
      [`${text}${lr}\n`, /got more/],
      [`${nat}\n${lrp}\n{"rows":[]}\n${lr}\n`, /Address_Set: expected \{"data"/],
      [`${nat}\n{"data":[[1,2]],"headings":["a"]}\n${as}\n${lr}\n`, /2 cells for 1 headings/],
      [`${nat}\n${lrp}\n${as}\n`, /expected 4 tables in the NB dump, got 3/],
      [``, /got 0/],
    ];
    for (const [out, re] of bad) expect(() => streamed(node, [Buffer.from(out)])).toThrow(re);
  });

  it('readNbFrom: an InfraError naming the node and the source; the other nodes do not hide it', async () => {
    const { node, bytes } = smallDump();
    const good = [bytes.subarray(0, 100), bytes.subarray(100)];
    const ok = await readNbFrom(fakeSource(new Map([[node, good]])), [node]);
    expect(ok.get(node)).toEqual(parseNodeDump(node, bytes.toString('utf8')));
    const src = fakeSource(
      new Map([
        ['worker-1', good],
        ['worker-2', [bytes.subarray(0, 5000)]],
        ['worker-3', good],
      ]),
    );
    const err = await readNbFrom(src, ['worker-1', 'worker-2', 'worker-3']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InfraError);
    expect((err as Error).message).toMatch(/^cannot parse the NB dump of node worker-2 \(test source, 5000 bytes read\): /);
  });

  it('readNbFrom: an exec failure of the source is passed on as it is', async () => {
    const src: EgressIPSource = {
      ...fakeSource(new Map()),
      execNbStream: () => Promise.reject(new InfraError('NB read in ns/pod exited 1: boom')),
    };
    await expect(readNbFrom(src, ['worker-1'])).rejects.toThrow(/exited 1: boom/);
  });
});
