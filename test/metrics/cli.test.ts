/** `netharness metrics profile|query|series` usage: help, validation, exit codes (no cluster needed). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, runCli } from '../support/cli.ts';
import { tempDir } from '../support/tmp.ts';

describe('netharness metrics', () => {
  it('--help lists query, profile and series', async () => {
    const r = await runCli(['metrics', '--help']);
    expect(r.code).toBe(0);
    for (const c of ['query', 'profile', 'series']) expect(r.stdout).toContain(c);
  }, 120_000);

  it('profile: a shipped profile validates (--json is the parsed list); a bad one exits 2 naming entry and field', async () => {
    const dir = tempDir('nh-mcli-');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, '- query: up\n  metricName: a\n  instant: maybe\n');
    const [ok, r] = await Promise.all([
      runCli(['metrics', 'profile', join(ROOT, 'metrics', 'profiles', 'egressip.yaml'), '--json']),
      runCli(['metrics', 'profile', bad]),
    ]);
    expect(ok.code, ok.stderr).toBe(0);
    const p = JSON.parse(ok.stdout) as { metricName: string; instant?: boolean }[];
    expect(p.find((e) => e.metricName === 'egressIPsAssigned')).toBeDefined();
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/bad\.yaml \[0\]\.instant/);
  }, 120_000);

  it('query: usage errors exit 2 naming the flag, before any connection', async () => {
    // one CLI process each, started together (a loaded machine takes seconds to start tsx)
    const [a, b, c, d] = await Promise.all([
      runCli(['metrics', 'query', 'up', '--step', '5s']),
      runCli(['metrics', 'query', 'up', '--range', 'soon']),
      runCli(['metrics', 'query', 'up', '--prometheus-url', 'localhost:9090']),
      runCli(['metrics', 'query', 'up', '--time', 'yesterday']),
    ]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--step needs --range/);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--range: expected a duration/);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--prometheus-url: expected an http\(s\):\/\/ URL/);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/--time: expected RFC 3339/);
  }, 180_000);

  it('query: an unreachable Prometheus exits 2 saying where it looked', async () => {
    const r = await runCli(['metrics', 'query', 'up', '--prometheus-url', 'http://127.0.0.1:1', '--json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/Prometheus at http:\/\/127\.0\.0\.1:1 not reachable/);
    expect(JSON.parse(r.stdout)).toMatchObject({ error: { kind: 'infra', exitCode: 2 } });
  }, 120_000);

  it('series: an unknown run exits 2', async () => {
    const dir = tempDir('nh-mcli-');
    const r = await runCli(['metrics', 'series', 'abcd1234', '--db', join(dir, 'db.sqlite')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no run with id or prefix 'abcd1234'/);
  }, 120_000);
});
