/**
 * The recording proxy's overhead per tool call (evals/proxy/): the same stdio MCP server (the echo fixture of
 * the proxy tests, real MCP over stdio with the official SDK) called directly by an SDK client, and through the
 * proxy (an in-process MCP transport to the proxy, which routes the call upstream and records it: arguments,
 * result, bytes, latency, hints), side by side in one tinybench run. Each call is a tiny `echo`, so the
 * difference is the proxy's own cost, not the server's.
 *
 *   npx tsx bench/eval-proxy.bench.ts   (or: npm run bench -- eval-proxy; EVAL_PROXY_BENCH_MS=3000 per task)
 */
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { Bench } from 'tinybench';
import { parseMcpConfig, resolveForTarget } from '../evals/proxy/config.ts';
import { McpProxy } from '../evals/proxy/proxy.ts';
import { projectRoot } from '../harness/paths.ts';

const SERVER = join(projectRoot, 'test/evals/fixtures/echo-mcp-server.ts');
const ms = Number(process.env.EVAL_PROXY_BENCH_MS ?? 2000);

const direct = new Client({ name: 'bench-direct', version: '0' });
await direct.connect(new StdioClientTransport({ command: process.execPath, args: ['--import', 'tsx', SERVER], cwd: projectRoot }));
const proxy = await McpProxy.start(
  resolveForTarget(
    parseMcpConfig({ mcpServers: { echo: { command: process.execPath, args: ['--import', 'tsx', SERVER], env: {} } } }),
    '/nonexistent/kubeconfig',
  ),
  { connectTimeoutMs: 60_000 },
);
const session = proxy.beginTrial({ maxToolCalls: 10_000_000 });
const via = new Client({ name: 'bench-proxy', version: '0' });
await via.connect(await session.connect());

const args = { msg: 'pods of tenant-a: Running' };
// alternating rounds (direct, proxied, direct, ...): a load swing on the shared machine hits both sides alike
const ROUNDS = 4;
const DIRECT = 'direct: client -> echo server';
const PROXIED = 'proxied: client -> recording proxy -> echo server';
const bench = new Bench({ time: ms / ROUNDS, warmupTime: 200 });
for (let r = 1; r <= ROUNDS; r++) {
  bench.add(`${DIRECT} #${r}`, async () => {
    await direct.callTool({ name: 'echo', arguments: args });
  });
  bench.add(`${PROXIED} #${r}`, async () => {
    await via.callTool({ name: 'echo', arguments: args });
  });
}
await bench.run();
const rows = bench.tasks.map((t) => {
  const l = t.result && 'latency' in t.result ? t.result.latency : undefined;
  return { task: t.name, mean: l?.mean ?? NaN, p50: l?.p50 ?? NaN, p99: l?.p99 ?? NaN, samples: l?.samplesCount ?? 0 };
});
console.table(rows.map((r) => ({ ...r, mean: r.mean.toFixed(3), p50: r.p50.toFixed(3), p99: r.p99.toFixed(3) })));
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const side = (name: string, k: 'mean' | 'p50') => median(rows.filter((r) => r.task.startsWith(name)).map((r) => r[k]));
const [dm, pm, d50, p50] = [side(DIRECT, 'mean'), side(PROXIED, 'mean'), side(DIRECT, 'p50'), side(PROXIED, 'p50')];
console.log(
  `median over ${ROUNDS} rounds: direct mean ${dm.toFixed(3)} / p50 ${d50.toFixed(3)} ms, proxied mean ${pm.toFixed(3)} / p50 ${p50.toFixed(3)} ms; ` +
    `proxy overhead per tool call: p50 ${(p50 - d50).toFixed(3)} ms, mean ${(pm - dm).toFixed(3)} ms (${(p50 / d50).toFixed(2)}x at p50); ${session.calls.length} calls recorded`,
);
await via.close();
await session.end();
await proxy.close();
await direct.close();
