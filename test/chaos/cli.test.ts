/** `netharness chaos list|render|validate` as a user runs them (child process): output, exit codes, messages. */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseParams } from '../../harness/chaos/cli-params.ts';
import { tempDir } from '../support/tmp.ts';

const root = join(import.meta.dirname, '..', '..');
const run = (args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', join(root, 'harness', 'cli.ts'), 'chaos', ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 60_000,
  });

describe('netharness chaos', () => {
  it('list names every template', () => {
    const r = run(['list']);
    expect(r.status).toBe(0);
    for (const id of [
      'pod-kill',
      'container-kill',
      'pod-failure',
      'network-partition',
      'network-delay',
      'network-loss',
      'stress-cpu',
      'time-offset',
      'schedule',
    ])
      expect(r.stdout).toContain(id);
  });

  it('render prints YAML for kubectl apply -f -, lists split on commas, --schedule wraps it', () => {
    const r = run([
      'render',
      'network-partition',
      '--param',
      'node=worker-1',
      '--param',
      'externalTargets=192.168.126.11,192.168.126.12',
      '--param',
      'name=p1',
    ]);
    expect(r.status, r.stderr).toBe(0);
    expect(parse(r.stdout)).toMatchObject({
      kind: 'NetworkChaos',
      metadata: { name: 'p1' },
      spec: { action: 'partition', direction: 'both', externalTargets: ['192.168.126.11', '192.168.126.12'] },
    });
    const s = run(['render', 'pod-kill', '--param', 'node=worker-1', '--schedule', '*/5 * * * *', '--history-limit', '3']);
    expect(parse(s.stdout)).toMatchObject({ kind: 'Schedule', spec: { schedule: '*/5 * * * *', historyLimit: 3, type: 'PodChaos' } });
  });

  it('bad params exit 2 naming the param', () => {
    const r = run(['render', 'pod-failure', '--param', 'node=worker-1', '--param', 'duration=soon']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/param 'duration': must be a positive Go duration/);
    const u = run(['render', 'node-kill']);
    expect(u.status).toBe(2);
    expect(u.stderr).toMatch(/unknown chaos template 'node-kill'/);
    expect(() => parseParams(['workers=many'])).toThrow(/--param workers: expected an integer/);
  });

  it('validate: a valid file passes, an invalid one exits 2 with every field error', () => {
    const d = tempDir('nh-chaos-cli-');
    writeFileSync(join(d, 'ok.yaml'), run(['render', 'stress-cpu', '--param', 'name=s1']).stdout);
    const ok = run(['validate', join(d, 'ok.yaml')]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('StressChaos/s1: valid');
    writeFileSync(
      join(d, 'bad.yaml'),
      'apiVersion: chaos-mesh.org/v1alpha1\nkind: NetworkChaos\nmetadata: {name: n}\nspec:\n  action: delay\n  mode: fixed-percent\n  value: "300"\n  delay: {latency: fast}\n',
    );
    const bad = run(['validate', join(d, 'bad.yaml')]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/spec.value: Invalid value: "300"/);
    expect(bad.stderr).toMatch(/spec.delay.latency: Invalid value: "fast"/);
  });
});
