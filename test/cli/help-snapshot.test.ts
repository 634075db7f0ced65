/**
 * The help of every command and subcommand is byte-identical to the fixture, which was written from the CLI before
 * its commands were made lazy (test/cli/fixtures/help.json, by `node --import tsx test/support/help-tree.ts`).
 * The command list comes from the program: a command missing from either side fails, as does any changed byte.
 * A help text that changes on purpose: rewrite the fixture with that command and review its diff.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helpOfEveryCommand, ROOT_MARK, type HelpOutput } from '../support/help-tree.ts';

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'help.json'), 'utf8')) as Record<string, HelpOutput>;

/** a text naming the checkout's path wraps where that path's length puts it: compare it with its spaces collapsed */
const comparable = (text: string): string => (text.includes(ROOT_MARK) ? text.replace(/\s+/g, ' ') : text);

describe('--help of every command', () => {
  it('lists the same commands as the fixture', async () => {
    const now = await helpOfEveryCommand();
    expect(Object.keys(now)).toEqual(Object.keys(fixture));
    expect(Object.keys(now).length).toBeGreaterThan(30);
  });

  it('prints the same help, byte for byte, with exit 0 and nothing on stderr', async () => {
    const now = await helpOfEveryCommand();
    for (const [path, want] of Object.entries(fixture)) {
      const got = now[path];
      expect(got, `netharness ${path} --help`).toBeDefined();
      expect({ path, code: got.code, stderr: got.stderr }).toEqual({ path, code: 0, stderr: '' });
      expect(comparable(got.stdout), `netharness ${path} --help`).toBe(comparable(want.stdout));
    }
  });
});
