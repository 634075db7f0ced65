import { describe, expect, it } from 'vitest';
import { hostShell } from '../../harness/runner/host.ts';

describe('t.$ (hostShell over zx)', () => {
  it('runs a host command with quoted arguments, logs it and its exit with the duration', async () => {
    const lines: string[] = [];
    const $ = hostShell(new AbortController().signal, (l) => lines.push(l));
    const out = await $`printf %s ${'a b'}`;
    expect(out.stdout).toBe('a b');
    expect(lines[0]).toMatch(/^\$ printf %s \$'a b'$/);
    expect(lines[1]).toMatch(/^exit 0 after \d+\.\d s$/);
  });

  it('rejects on a non-zero exit unless nothrow', async () => {
    const lines: string[] = [];
    const $ = hostShell(new AbortController().signal, (l) => lines.push(l));
    await expect($`exit 3`).rejects.toMatchObject({ exitCode: 3 });
    expect((await $({ nothrow: true })`exit 4`).exitCode).toBe(4);
    expect(lines.filter((l) => l.startsWith('exit '))).toEqual([expect.stringMatching(/^exit 3 /), expect.stringMatching(/^exit 4 /)]);
  });

  it('kills the command when the run is interrupted', async () => {
    const ac = new AbortController();
    const lines: string[] = [];
    const $ = hostShell(ac.signal, (l) => lines.push(l));
    const t0 = Date.now();
    setTimeout(() => ac.abort(), 100);
    await expect($`sleep 30`).rejects.toThrow(/abort/i);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(lines.at(-1)).toMatch(/^killed by SIGTERM after/);
  });
});
