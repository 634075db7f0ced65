/**
 * Errors say the cause: refused credentials are "unauthorized: the kubeconfig's credentials were refused"
 * (checked before the scenario, against a real API server: a detached api-only sim), client-node's raw
 * ApiException text becomes one line, and file-system codes become what they mean, naming the path.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeApiError } from '../../harness/cluster/exec.ts';
import { formatError } from '../../harness/errors.ts';
import { ROOT, runCli, stopSim } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';

const fixture = join(ROOT, 'test', 'harness', 'fixtures', 'fake-scenario.ts');
let dir = '';
let kubeconfig = '';

beforeAll(async () => {
  dir = tempDir('nh-errors-');
  const r = await runCli(['sim', '--detach', '--api-only', '--workdir', join(dir, 'sim')]);
  const m = /KUBECONFIG=(\S+)/.exec(r.stdout);
  if (r.code !== 0 || !m) throw new Error(`sim did not start: ${r.stderr}`);
  kubeconfig = m[1];
}, 120_000);
afterAll(() => stopSim(join(dir, 'sim')));

describe('errors say the cause', { timeout: 120_000 }, () => {
  it('a refused token is "unauthorized: the kubeconfig\'s credentials were refused", exit 2, before any step', async () => {
    const bad = join(dir, 'bad-kubeconfig');
    writeFileSync(bad, readFileSync(kubeconfig, 'utf8').replace(/token: \S+/g, 'token: not-the-right-token-0123456789'));
    const r = await runCli(['scenario', fixture, '--kubeconfig', bad, '--db', join(dir, 'nh.db'), '--json']);
    expect(r.code).toBe(2);
    const s = JSON.parse(r.stdout) as { verdict: string; error: string; steps: { total: number } };
    expect(s.verdict).toBe('error');
    expect(s.error).toMatch(/^unauthorized: the kubeconfig's credentials were refused by https:\/\/127\.0\.0\.1:\d+/);
    expect(s.steps.total).toBe(0);
    expect(r.stderr).not.toMatch(/HTTP-Code|Headers:/);
    const ok = await runCli(['scenario', fixture, '--kubeconfig', kubeconfig, '--db', join(dir, 'nh.db')]);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it("client-node's raw ApiException text becomes one line with the API's message", () => {
    const raw =
      'HTTP-Code: 404\nMessage: Unknown API Status Code!\nBody: {"kind":"Status","apiVersion":"v1","status":"Failure","message":"pods \\"x\\" not found","reason":"NotFound","code":404}\nHeaders: {"audit-id":"1","content-type":"application/json"}';
    expect(describeApiError(Object.assign(new Error(raw), { code: 404 }))).toBe('404 pods "x" not found');
    expect(
      describeApiError(Object.assign(new Error('HTTP-Code: 401\nMessage: Unauthorized\nBody: {}\nHeaders: {}'), { code: 401 })),
    ).toMatch(/^unauthorized: the kubeconfig's credentials were refused \(HTTP 401\)/);
    expect(describeApiError(Object.assign(new Error('x'), { code: 403, body: '{"message":"nodes is forbidden: User \\"u\\""}' }))).toMatch(
      /^forbidden \(HTTP 403\): nodes is forbidden/,
    );
  });

  it('ENOTDIR / EEXIST / EACCES say what is in the way', () => {
    const e = (code: string, path: string) => Object.assign(new Error(`${code}: raw`), { code, path });
    expect(formatError(e('ENOTDIR', '/r/out/x'))).toMatch(/^error: \/r\/out\/x: a file is in the way where a directory is needed/);
    expect(formatError(e('EEXIST', '/r/out'))).toMatch(/^error: \/r\/out: already exists as a file/);
    expect(formatError(e('EACCES', '/root/x'))).toBe('error: /root/x: permission denied');
  });
});
