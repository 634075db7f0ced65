/**
 * k8s_list and ovn_db_list show only what their budget holds, so they fetch / render only that: k8s_list
 * pages the apiserver (limit + continue, the rest counted), ovn_db_list renders only the shown records. The
 * answers must be exactly the answers of the full read.
 */
import { describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { createMcpServer } from '../../mcp/server.ts';
import { selectTools } from '../../mcp/tools/index.ts';
import type { K8sObject, ListPage, ListPageQuery, ListQuery } from '../../mcp/target.ts';
import { renderForPage } from '../../mcp/tools/ovn.ts';
import { pageItems } from '../../mcp/output.ts';
import { FakeTarget, NAT_JSON } from './fake-target.ts';

/** A FakeTarget that pages like the apiserver: sorted by namespace/name, continue = last key, remainingItemCount without selectors. */
class PagingTarget extends FakeTarget {
  fetched = 0;
  pages = 0;
  counted = 0;
  private sorted(q: ListQuery): K8sObject[] {
    const key = (o: K8sObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
    return this.objects
      .filter((o) => o.kind === q.kind && (!q.namespace || o.metadata?.namespace === q.namespace))
      .filter((o) => !q.labelSelector || o.metadata?.labels?.app === q.labelSelector.split('=')[1])
      .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  }
  async listPage(q: ListPageQuery): Promise<ListPage> {
    this.pages++;
    const all = this.sorted(q);
    const key = (o: K8sObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name}`;
    const start = q.continue ? all.findIndex((o) => key(o) > (q.continue as string)) : 0;
    const from = start < 0 ? all.length : start;
    const items = all.slice(from, from + (q.limit ?? all.length)).map((o) => structuredClone(o));
    this.fetched += items.length;
    const more = from + items.length < all.length;
    return {
      items,
      ...(more ? { continue: key(items[items.length - 1]) } : {}),
      ...(more && !q.labelSelector ? { remainingItemCount: all.length - from - items.length } : {}),
    };
  }
  async countRest(q: ListQuery, cont: string): Promise<number> {
    const all = this.sorted(q);
    const n = all.filter((o) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name}` > cont).length;
    this.counted += n;
    return n;
  }
}

function pods(n: number): K8sObject[] {
  return Array.from({ length: n }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: `web-${String(i).padStart(4, '0')}`, namespace: i % 2 ? 'scale' : 'prod', labels: { app: i % 3 ? 'web' : 'db' } },
    spec: { nodeName: `worker-${i % 9}` },
    status: { phase: 'Running', podIP: `10.128.${i >> 8}.${i & 255}`, containerStatuses: [{ ready: true, restartCount: 0 }] },
  }));
}

async function call(target: FakeTarget, name: string, args: Record<string, unknown>, budgetBytes = 8192): Promise<string> {
  const server = createMcpServer({ target, tools: selectTools({}), budgetBytes });
  const [a, b] = InMemoryTransport.createLinkedPair();
  await server.connect(a);
  const client = new Client({ name: 'test', version: '0' });
  await client.connect(b);
  const r = (await client.callTool({ name, arguments: args })) as { content: { text: string }[]; isError?: boolean };
  await client.close();
  if (r.isError) throw new Error(r.content[0].text);
  return r.content[0].text;
}

describe('k8s_list pages the apiserver', () => {
  const objects = pods(2000);
  const cases: [string, Record<string, unknown>][] = [
    ['first page', { kind: 'Pod' }],
    ['a namespace', { kind: 'Pod', namespace: 'scale' }],
    ['offset', { kind: 'Pod', offset: 700 }],
    ['limit', { kind: 'Pod', limit: 5 }],
    ['fields, json', { kind: 'Pod', fields: ['status.podIP'], format: 'json' }],
    ['a label selector (no remainingItemCount: the rest is counted)', { kind: 'Pod', label_selector: 'app=web' }],
  ];
  for (const [what, args] of cases)
    it(`${what}: the same answer as the full list, from a fraction of the objects`, async () => {
      const paged = new PagingTarget(objects);
      const full = new FakeTarget(objects);
      // the full read (no listPage) filters by label itself only through the server; give it the same objects
      if (args.label_selector) full.objects = objects.filter((o) => o.metadata?.labels?.app === 'web');
      const got = await call(paged, 'k8s_list', args);
      const want = await call(full, 'k8s_list', args);
      expect(got).toBe(want);
      expect(got).toMatch(/^\d+ Pod object\(s\)/);
      expect(paged.fetched).toBeLessThan(Number(/^(\d+)/.exec(got)?.[1]) / 2);
      if (args.label_selector) expect(paged.counted).toBeGreaterThan(0);
    });

  it('grep needs every object: it reads them all', async () => {
    const paged = new PagingTarget(objects);
    const got = await call(paged, 'k8s_list', { kind: 'Pod', grep: 'web-1999' });
    expect(got).toMatch(/^2000 Pod object\(s\)\nprod\/web-1999|^2000 Pod object\(s\)\nscale\/web-1999/);
    expect(paged.pages).toBe(0);
  });

  it('a budget larger than the list reads to its end', async () => {
    const paged = new PagingTarget(pods(50));
    const got = await call(paged, 'k8s_list', { kind: 'Pod' }, 1024 * 1024);
    expect(got.split('\n')).toHaveLength(51);
    expect(paged.fetched).toBe(50);
  });
});

describe('ovn_db_list renders only the records its page shows', () => {
  it('the page is the page of the fully rendered table', async () => {
    const target = new FakeTarget([], () => ({ stdout: NAT_JSON }));
    for (const args of [{}, { offset: 120 }, { limit: 3 }, { format: 'json' }, { grep: 'pod-2[0-9]\\b' }]) {
      const got = await call(target, 'ovn_db_list', { node: 'ovn-worker2', db: 'nb', table: 'NAT', ...args }, 4096);
      expect(got).toMatch(/300 record\(s\) in NAT/);
      if (!('grep' in args)) expect(got).toMatch(/showing records \d+-\d+ of 300/);
    }
  });

  it('renderForPage renders from offset until the budget surely ends the page, and pageItems never reaches a placeholder', () => {
    let rendered = 0;
    const render = (i: number) => {
      rendered++;
      return `record ${i} ${'x'.repeat(i % 7 === 0 ? 1500 : 60)}`;
    };
    for (const offset of [0, 10, 290]) {
      rendered = 0;
      const opts = { budgetBytes: 4096, offset, unit: 'records' };
      const lazy = pageItems(renderForPage(300, render, opts, 2), opts, '\n\n');
      const eager = pageItems(
        Array.from({ length: 300 }, (_, i) => `record ${i} ${'x'.repeat(i % 7 === 0 ? 1500 : 60)}`),
        opts,
        '\n\n',
      );
      expect(lazy.text).toBe(eager.text);
      expect(rendered).toBeLessThan(80);
    }
  });
});
