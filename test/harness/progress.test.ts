import { describe, it, expect } from 'vitest';
import { createProgress, formatMs } from '../../harness/runner/progress.ts';

function fakeStream(isTTY: boolean): NodeJS.WriteStream & { text: string } {
  const s = {
    text: '',
    isTTY,
    columns: 80,
    write(chunk: string) {
      s.text += chunk;
      return true;
    },
  };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

describe('progress', () => {
  it('plain lines with timestamps when not a TTY', () => {
    const out = fakeStream(false);
    const p = createProgress({ stream: out });
    p.stepStart(['setup']);
    p.log(['setup'], 'hello');
    p.stepEnd(['setup'], 'passed', 1234);
    p.check('c', false, 5, '2 findings');
    p.close();
    expect(out.text).not.toContain('\x1b[');
    expect(out.text).toMatch(/^\[\d\d:\d\d:\d\d\] ▶ setup\n/);
    expect(out.text).toContain('✔ setup (1.2s)');
    expect(out.text).toContain('✖ check c (5ms): 2 findings');
  });

  it('a live updating line in a TTY, cleared before permanent lines', () => {
    const out = fakeStream(true);
    const saved = process.env.CI;
    delete process.env.CI;
    try {
      const p = createProgress({ stream: out });
      p.stepStart(['iteration 1']);
      expect(out.text).toContain('\r\x1b[2K');
      expect(out.text).toMatch(/iteration 1 \d+ms/);
      p.stepEnd(['iteration 1'], 'failed', 10, 'boom');
      p.close();
      expect(out.text).toContain('✖ iteration 1 (10ms): boom\n');
    } finally {
      if (saved !== undefined) process.env.CI = saved;
    }
  });

  it('formats durations', () => {
    expect(formatMs(950)).toBe('950ms');
    expect(formatMs(61_000)).toBe('1m01s');
  });
});
