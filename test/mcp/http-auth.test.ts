/**
 * The MCP streamable HTTP transport's front door: the Host check on every bind address (DNS rebinding),
 * the Origin check (another site's page), the bearer token, bounded sessions that expire when idle, and
 * `--no-auth` refused off loopback. Raw HTTP requests, as an attacker would send them.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { serveHttp, type HttpServerHandle } from '../../mcp/server.ts';
import { selectTools } from '../../mcp/tools/index.ts';
import { FakeTarget, sampleObjects } from './fake-target.ts';
import { runCli } from '../support/cli.ts';

const TOKEN = 'http-auth-test-token-0123456789';
const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '0' } },
});

function post(port: number, headers: Record<string, string>, body = INIT): Promise<{ status: number; sid?: string; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/mcp',
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, sid: res.headers['mcp-session-id'] as string | undefined, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const serve = (o: Partial<Parameters<typeof serveHttp>[0]> = {}): Promise<HttpServerHandle> =>
  serveHttp({ target: new FakeTarget(sampleObjects(), () => ({})), tools: selectTools(), port: 0, authToken: TOKEN, ...o });

describe('MCP HTTP: host, origin, token', () => {
  for (const bind of ['127.0.0.1', '0.0.0.0']) {
    describe(`bound to ${bind}`, () => {
      let h: HttpServerHandle;
      beforeAll(async () => {
        h = await serve({ host: bind, allowedHosts: ['mcp.example.internal'] });
      });
      afterAll(() => h.close());
      const host = (): string => `127.0.0.1:${h.port}`;

      it('no token is a 401 (with WWW-Authenticate); a wrong token too', async () => {
        const none = await post(h.port, { host: host() });
        expect(none.status).toBe(401);
        expect(none.text).toMatch(/unauthorized/);
        expect((await post(h.port, { host: host(), authorization: 'Bearer wrong-token-wrong-token' })).status).toBe(401);
        expect((await post(h.port, { host: host(), authorization: TOKEN })).status).toBe(401); // no "Bearer"
      });

      it('a foreign Host is a 403, even with the token; an allow-listed name passes', async () => {
        for (const foreign of ['evil.example', `evil.example:${h.port}`, `127.0.0.1:1`, '10.0.0.5'])
          expect((await post(h.port, { host: foreign, authorization: `Bearer ${TOKEN}` })).status, `Host '${foreign}'`).toBe(403);
        expect((await post(h.port, { host: `mcp.example.internal:${h.port}`, authorization: `Bearer ${TOKEN}` })).status).toBe(200);
      });

      it("another site's Origin is a 403; the server's own origin passes", async () => {
        const auth = { host: host(), authorization: `Bearer ${TOKEN}` };
        for (const origin of ['http://evil.example', 'null', `http://127.0.0.1:${h.port + 1}`, 'https://attacker.test:443'])
          expect((await post(h.port, { ...auth, origin })).status, origin).toBe(403);
        expect((await post(h.port, { ...auth, origin: `http://localhost:${h.port}` })).status).toBe(200);
      });

      it('the SDK client with the token lists tools', async () => {
        const client = new Client({ name: 'auth-test', version: '0' });
        await client.connect(
          new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${h.port}/mcp`), {
            requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
          }),
        );
        expect((await client.listTools()).tools.length).toBeGreaterThan(0);
        await client.close();
      });
    });
  }

  it('sessions are bounded (503 past the limit) and an idle one expires (404 after)', async () => {
    const h = await serve({ maxSessions: 2, sessionIdleMs: 1000 });
    try {
      const auth = { host: `127.0.0.1:${h.port}`, authorization: `Bearer ${TOKEN}` };
      const a = await post(h.port, auth);
      const b = await post(h.port, auth);
      expect([a.status, b.status]).toEqual([200, 200]);
      const full = await post(h.port, auth);
      expect(full.status).toBe(503);
      expect(full.text).toMatch(/too many sessions/);
      await new Promise((r) => setTimeout(r, 2600));
      const ping = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' });
      expect((await post(h.port, { ...auth, 'mcp-session-id': a.sid ?? '', 'mcp-protocol-version': '2025-06-18' }, ping)).status).toBe(404);
      expect((await post(h.port, auth)).status).toBe(200);
    } finally {
      await h.close();
    }
  });

  it('no auth only on loopback (library and CLI), and the CLI says so before it connects', async () => {
    await expect(serve({ host: '0.0.0.0', authToken: null })).rejects.toThrow(/only binds a loopback/);
    const r = await runCli(['mcp', '--transport', 'http', '--host', '0.0.0.0', '--no-auth', '--bundle', '/nonexistent']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--no-auth: only on a loopback --host/);
    const f = await runCli(['mcp', '--transport', 'http', '--auth-token-file', '/nonexistent/token', '--bundle', '/nonexistent']);
    expect(f.code).toBe(2);
    expect(f.stderr).toMatch(/--auth-token-file: no file/);
  });
});
