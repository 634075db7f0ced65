/** `netharness ptp analyze-log` / `ptp watch` / `check ptp` through the CLI, as a user runs them. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.ts';

const fx = (f: string) => join(import.meta.dirname, 'fixtures', f);

const runWithStdin = (args: string[], input: string) => runCli(args, { input });

describe('netharness ptp', () => {
  it('analyze-log <file> --json: the documented fields; exit 1 when not HEALTHY', async () => {
    const r = await runCli(['ptp', 'analyze-log', fx('daemon-tbc.log'), '--json']);
    expect(r.code).toBe(1);
    const j = JSON.parse(r.stdout) as Record<string, unknown>;
    for (const k of ['portTransitions', 'counts', 'offsets', 'clockClass', 'faults', 'health']) expect(j, k).toHaveProperty(k);
    expect(j.health).toBe('MINOR');
  }, 60_000);

  it('analyze-log - reads stdin; a healthy log exits 0', async () => {
    const r = await runWithStdin(
      ['ptp', 'analyze-log', '-'],
      'ptp4l[1.0]: [ptp4l.0.config:6] master offset 3 s2 freq -1 path delay 500\nnoise\n',
    );
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/HEALTHY \(0 faults\) — 2 lines, 1 unparsable/);
  }, 60_000);

  it('usage errors exit 2 and name the field', async () => {
    const a = await runCli(['ptp', 'analyze-log', '/nonexistent.log']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/<file>: no file at/);
    const b = await runCli(['ptp', 'analyze-log', fx('daemon-oc.log'), '--max-offset', 'x']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--max-offset/);
    const c = await runCli(['ptp', 'watch', '--offset-threshold', '-1']);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--offset-threshold/);
    const d = await runCli(['check', 'ptp', '--clock-class', '300']);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/clockClass/);
  }, 90_000);

  it('--help on every ptp command', async () => {
    for (const args of [['ptp'], ['ptp', 'analyze-log'], ['ptp', 'watch'], ['check', 'ptp']]) {
      const r = await runCli([...args, '--help']);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: netharness/);
    }
  }, 90_000);
});
