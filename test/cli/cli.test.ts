import { describe, it, expect, vi, afterEach } from 'vitest';
import { buildProgram, main } from '../../harness/cli.ts';

function capture() {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => ((out += String(c)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => ((err += String(c)), true));
  return {
    get out() {
      return out;
    },
    get err() {
      return err;
    },
    restore: () => {
      o.mockRestore();
      e.mockRestore();
    },
  };
}

afterEach(() => {
  process.exitCode = undefined;
});

describe('netharness CLI', () => {
  const names = buildProgram()
    .commands.map((c) => c.name())
    .filter((n) => n !== 'help');

  it('lists every subcommand in --help', async () => {
    const cap = capture();
    const code = await main(['--help']);
    cap.restore();
    expect(code).toBe(0);
    for (const n of ['sim', 'scenario', 'runs', 'check', 'mcp', 'bundle', 'eval', 'report', 'bench']) expect(cap.out).toContain(n);
  });

  it.each(names)('%s --help exits 0 and prints usage', async (name) => {
    const cap = capture();
    const code = await main([name, '--help']);
    cap.restore();
    expect(code).toBe(0);
    expect(cap.out).toMatch(new RegExp(`Usage: netharness ${name}`));
  });

  it('an unknown subcommand exits 2', async () => {
    const cap = capture();
    const code = await main(['frobnicate']);
    cap.restore();
    expect(code).toBe(2);
    expect(cap.err).toMatch(/unknown command/);
  });

  it('an unknown option exits 2 and names it', async () => {
    const cap = capture();
    const code = await main(['--bogus-flag']);
    cap.restore();
    expect(code).toBe(2);
    expect(cap.err).toContain('--bogus-flag');
  });

  it('bench rejects an unknown suite with exit 2', async () => {
    const cap = capture();
    const code = await main(['bench', 'no-such-suite']);
    cap.restore();
    expect(code).toBe(2);
    expect(cap.err).toContain('no-such-suite');
  });
});
