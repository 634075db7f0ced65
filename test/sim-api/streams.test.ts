/**
 * pods/log options and pods/exec channel protocols, spoken directly (no client library in between).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { api, podManifest, startTestCluster, type TestCluster } from './helpers.ts';

let tc: TestCluster;
const PODS = { group: '', version: 'v1', resource: 'pods' };
const ref = { namespace: 'default', pod: 'lp', container: 'app' };

beforeAll(async () => {
  tc = await startTestCluster();
  tc.cluster.store.create(PODS, podManifest('lp'));
  tc.runtime.append(ref, 'old line', new Date(Date.now() - 3600_000));
  tc.runtime.append(ref, 'new line one');
  tc.runtime.append(ref, 'new line two');
});

afterAll(async () => {
  await tc?.cluster.stop();
});

describe('pods/log', () => {
  const log = (q: string) => api(tc, 'GET', `/api/v1/namespaces/default/pods/lp/log${q}`);
  it('tailLines, sinceSeconds, timestamps, limitBytes', async () => {
    expect((await log('')).text).toBe('old line\nnew line one\nnew line two\n');
    expect((await log('?tailLines=1')).text).toBe('new line two\n');
    expect((await log('?sinceSeconds=60')).text).toBe('new line one\nnew line two\n');
    expect((await log('?tailLines=1&timestamps=true')).text).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z new line two\n$/);
    expect((await log('?limitBytes=5')).text).toBe('old l');
    expect((await log('?container=app')).headers['content-type']).toBe('text/plain');
  });
  it('bad options and containers are 400s; readonly may read logs', async () => {
    expect((await log('?tailLines=x')).status).toBe(400);
    expect((await log('?container=nope')).status).toBe(400);
    expect((await log('?bogus=1')).status).toBe(400);
    expect((await api(tc, 'GET', '/api/v1/namespaces/default/pods/ghost/log')).status).toBe(404);
    expect((await api(tc, 'GET', '/api/v1/namespaces/default/pods/lp/log', { token: tc.readonlyToken })).status).toBe(200);
  });
  it('follow ends when the pod is deleted', async () => {
    tc.cluster.store.create(PODS, podManifest('fp'));
    const p = api(tc, 'GET', '/api/v1/namespaces/default/pods/fp/log?follow=true');
    await new Promise((r) => setTimeout(r, 100));
    tc.runtime.append({ namespace: 'default', pod: 'fp', container: 'app' }, 'streamed');
    await new Promise((r) => setTimeout(r, 50));
    tc.cluster.store.delete(PODS, 'default', 'fp', { gracePeriodSeconds: 0 });
    const r = await p;
    expect(r.text).toBe('streamed\n');
  });
  it('follow ends when the followed container terminates', async () => {
    tc.cluster.store.create(PODS, podManifest('tp'));
    const p = api(tc, 'GET', '/api/v1/namespaces/default/pods/tp/log?follow=true');
    await new Promise((r) => setTimeout(r, 100));
    tc.runtime.append({ namespace: 'default', pod: 'tp', container: 'app' }, 'last words');
    tc.cluster.store.mutate(
      PODS,
      'default',
      'tp',
      (o) => {
        o.status = {
          phase: 'Running',
          containerStatuses: [{ name: 'app', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, reason: 'Error' } } }],
        };
      },
      { subresource: 'status' },
    );
    expect((await p).text).toBe('last words\n');
  });
});

function execWs(
  protocol: string | string[],
  query: string,
  token = tc.adminToken,
): Promise<{ frames: Buffer[]; ws: WebSocket; closed: Promise<void> }> {
  const url = `${tc.cluster.server.replace('https', 'wss')}/api/v1/namespaces/default/pods/lp/exec?${query}`;
  const ws = new WebSocket(url, protocol, { ca: tc.ca, headers: { Authorization: `Bearer ${token}` } });
  const frames: Buffer[] = [];
  ws.on('message', (d: Buffer) => frames.push(Buffer.from(d)));
  const closed = new Promise<void>((r) => ws.on('close', () => r()));
  return new Promise((resolve, reject) => {
    ws.on('open', () => resolve({ frames, ws, closed }));
    ws.on('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.on('error', reject);
  });
}

describe('pods/exec', () => {
  it('v5: stdout, error channel Success/Failure with ExitCode cause, stdin close signal', async () => {
    let x = await execWs('v5.channel.k8s.io', 'command=echo&command=hi&stdout=true&stderr=true');
    await x.closed;
    expect(x.ws.protocol).toBe('v5.channel.k8s.io');
    expect(x.frames[0][0]).toBe(1);
    expect(x.frames[0].subarray(1).toString()).toBe('hi\n');
    const last = x.frames[x.frames.length - 1];
    expect(last[0]).toBe(3);
    expect(JSON.parse(last.subarray(1).toString())).toEqual({ metadata: {}, status: 'Success' });
    x = await execWs('v5.channel.k8s.io', 'command=exit&command=42&stdout=true');
    await x.closed;
    const st = JSON.parse(x.frames[x.frames.length - 1].subarray(1).toString()) as {
      status: string;
      reason: string;
      details: { causes: unknown[] };
    };
    expect(st.status).toBe('Failure');
    expect(st.reason).toBe('NonZeroExitCode');
    expect(st.details.causes).toEqual([{ reason: 'ExitCode', message: '42' }]);
    x = await execWs('v5.channel.k8s.io', 'command=cat&stdin=true&stdout=true');
    x.ws.send(Buffer.concat([Buffer.from([0]), Buffer.from('abc')]));
    x.ws.send(Buffer.from([255, 0]));
    await x.closed;
    expect(Buffer.concat(x.frames.filter((f) => f[0] === 1).map((f) => f.subarray(1))).toString()).toBe('abc');
  });
  it('v4 and v1 (channel.k8s.io) are negotiated; v1 reports failures as text', async () => {
    let x = await execWs(['v4.channel.k8s.io', 'channel.k8s.io'], 'command=exit&command=0&stdout=true');
    await x.closed;
    expect(x.ws.protocol).toBe('v4.channel.k8s.io');
    x = await execWs('channel.k8s.io', 'command=exit&command=3&stdout=true');
    await x.closed;
    expect(x.ws.protocol).toBe('channel.k8s.io');
    const err = x.frames.find((f) => f[0] === 3);
    expect(err?.subarray(1).toString()).toContain('exit code 3');
  });
  it('refusals happen before the upgrade: RBAC, no command, unknown container, unknown pod', async () => {
    const noWrite = await api(tc, 'POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
      body: JSON.stringify({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'tmp' }, rules: [] }),
      contentType: 'application/json',
      token: tc.readonlyToken,
    });
    expect(noWrite.status).toBe(403);
    await expect(execWs('v5.channel.k8s.io', 'stdout=true')).rejects.toThrow('HTTP 400');
    await expect(execWs('v5.channel.k8s.io', 'command=ls&container=nope')).rejects.toThrow('HTTP 400');
    await expect(execWs('v5.channel.k8s.io', 'command=ls', 'bad-token')).rejects.toThrow('HTTP 401');
    // the read-only identity may exec only in openshift-ovn-kubernetes / openshift-ptp
    // (mcp/rbac/readonly-clusterrole.yaml): in default it is refused before the upgrade
    await expect(execWs('v5.channel.k8s.io', 'command=echo&command=ro&stdout=true', tc.readonlyToken)).rejects.toThrow('HTTP 403');
    // a plain (non-upgrade) request to exec is a 400
    expect((await api(tc, 'POST', '/api/v1/namespaces/default/pods/lp/exec?command=ls')).status).toBe(400);
  });
});
