/**
 * sim/ovn/spawner.ts: commands started from the spawn helper give the same bytes, exit codes and signals as a
 * direct spawn; a slow destination pauses the command; a missing binary and a dead helper end the run with a
 * message, and the next run gets a new helper.
 */
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { spawner } from '../../sim/ovn/spawner.ts';

function sink(opts: { highWaterMark?: number; delayMs?: number } = {}): Writable & { bytes: () => Buffer; writes: number } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    highWaterMark: opts.highWaterMark ?? 16 * 1024,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk);
      (w as unknown as { writes: number }).writes++;
      if (opts.delayMs) setTimeout(cb, opts.delayMs);
      else cb();
    },
  }) as Writable & { bytes: () => Buffer; writes: number };
  w.writes = 0;
  w.bytes = () => Buffer.concat(chunks);
  return w;
}

const run = (file: string, args: string[], out = sink(), err = sink()) =>
  spawner.run(file, args, { env: process.env, cwd: process.cwd(), stdout: out, stderr: err }).then((e) => ({ e, out, err }));

describe('spawner', () => {
  it('relays stdout and stderr bytes, the exit code and the signal', async () => {
    const bin = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31) % 256));
    const { e, out, err } = await run('sh', [
      '-c',
      `printf '${[...bin.subarray(0, 64)].map((b) => `\\${b.toString(8).padStart(3, '0')}`).join('')}'; echo oops >&2; exit 3`,
    ]);
    expect(e).toEqual({ code: 3, signal: null });
    expect(out.bytes().equals(bin.subarray(0, 64))).toBe(true);
    expect(err.bytes().toString()).toBe('oops\n');
    const big = await run('head', ['-c', '3000000', '/dev/zero']);
    expect(big.e.code).toBe(0);
    expect(big.out.bytes().length).toBe(3_000_000);
    const killed = await run('sh', ['-c', 'kill -TERM $$']);
    expect(killed.e).toEqual({ code: null, signal: 'SIGTERM' });
  });

  it('runs commands side by side without mixing their output', async () => {
    const rs = await Promise.all(Array.from({ length: 20 }, (_, i) => run('sh', ['-c', `for j in 1 2 3; do echo ${i}-$j; done`])));
    rs.forEach((r, i) => expect(r.out.bytes().toString()).toBe(`${i}-1\n${i}-2\n${i}-3\n`));
  });

  it('a missing binary ends with its error', async () => {
    const { e } = await run('/nonexistent/binary', []);
    expect(e.code).toBeNull();
    expect(e.error).toMatch(/ENOENT/);
  });

  it('a slow destination pauses the command (its output does not pile up in memory)', async () => {
    // 8 MB through a destination that takes 2 ms per write and holds at most 16 KiB: without the pause the helper
    // would send everything at once and the sim would hold all of it in the destination's queue
    const out = sink({ delayMs: 2 });
    let maxQueued = 0;
    const timer = setInterval(() => (maxQueued = Math.max(maxQueued, out.writableLength)), 1);
    const p = run('head', ['-c', String(8 << 20), '/dev/zero'], out);
    const { e } = await p;
    // the run ends once every chunk is handed to the destination; its queue drains after (exec-ws ends it and waits)
    await new Promise<void>((r) => out.end(r));
    clearInterval(timer);
    expect(e.code).toBe(0);
    expect(out.bytes().length).toBe(8 << 20);
    expect(maxQueued).toBeLessThan(4 << 20);
  });

  it("runs in its own process group, so a terminal's Ctrl-C to the sim's group does not reach it", async () => {
    await run('true', []);
    const pid = spawner.helperPid!;
    const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const pgrp = Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[2]);
    expect(pgrp).toBe(pid);
    expect(pgrp).not.toBe(Number(readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[2]));
  });

  it('when the helper dies, its runs end with a message and the next run starts a new one', async () => {
    await run('true', []);
    const pid = spawner.helperPid!;
    expect(pid).toBeGreaterThan(0);
    const pending = run('sleep', ['5']);
    await new Promise((r) => setTimeout(r, 200));
    process.kill(pid, 'SIGKILL');
    const { e } = await pending;
    expect(e.error).toMatch(/exec helper exited \(SIGKILL\)/);
    const again = await run('echo', ['back']);
    expect(again.out.bytes().toString()).toBe('back\n');
    expect(spawner.helperPid).not.toBe(pid);
  });
});
