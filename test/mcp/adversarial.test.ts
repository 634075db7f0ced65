/**
 * Adversarial suite (pure): every tool x every argument x every attack payload. Each case must be
 * rejected by validation, or be harmless: the command that would run is allow-listed, keeps the
 * tool's own binary and subcommand, and carries no option or write verb from the payload.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ALL_TOOLS } from '../../mcp/tools/index.ts';
import { ARGV_POLICY, readOnlyArgvProblem } from '../../mcp/argv-guard.ts';
import type { ToolContext } from '../../mcp/registry.ts';
import type { NodeCommand } from '../../mcp/target.ts';
import { ATTACKS, EXTRA_FIELDS, VALID_ARGS } from './attacks.ts';
import { FakeTarget, sampleObjects } from './fake-target.ts';

// the real schemas, so ovn_db_list's fast read (ovsdb-client select) is built for every accepted payload
const SCHEMA = {
  OVN_Northbound: readFileSync('/usr/share/ovn/ovn-nb.ovsschema', 'utf8'),
  OVN_Southbound: readFileSync('/usr/share/ovn/ovn-sb.ovsschema', 'utf8'),
};

function outputs(cmd: NodeCommand) {
  if (cmd.argv[0] === 'ovsdb-client' && cmd.argv[1] === 'get-schema') return { stdout: SCHEMA[cmd.argv[3] as keyof typeof SCHEMA] ?? '' };
  if (cmd.argv[0] === 'ovsdb-client' && cmd.argv[1] === 'query') {
    const ops = (JSON.parse(cmd.argv[3]) as unknown[]).length - 1;
    return { stdout: JSON.stringify(Array.from({ length: ops }, () => ({ rows: [] }))) };
  }
  if (cmd.argv.includes('--format=json')) return { stdout: '{"headings":["_uuid"],"data":[]}' };
  return { stdout: 'line 1\nline 2\n' };
}

interface Case {
  tool: string;
  field: string;
  attack: (typeof ATTACKS)[number];
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const tool of ALL_TOOLS) {
    const fields = [...Object.keys(tool.shape), ...EXTRA_FIELDS.filter((f) => !(f in tool.shape))];
    for (const field of fields) for (const attack of ATTACKS) out.push({ tool: tool.name, field, attack });
  }
  return out;
}

describe('adversarial inputs (pure, tools x fields x payloads)', () => {
  const all = cases();

  it('has a valid base call for every tool, and each base call runs', async () => {
    for (const tool of ALL_TOOLS) {
      expect(VALID_ARGS[tool.name], tool.name).toBeDefined();
      const p = tool.parse(VALID_ARGS[tool.name]);
      expect(p.ok, `${tool.name}: ${p.ok ? '' : p.error}`).toBe(true);
      if (tool.plan) expect(readOnlyArgvProblem(tool.plan(VALID_ARGS[tool.name]).argv)).toBeUndefined();
    }
  });

  it(`generates at least 300 attack cases (${all.length})`, () => {
    expect(all.length).toBeGreaterThanOrEqual(300);
  });

  it("rejects every attack or runs only the tool's own allow-listed read command", async () => {
    const stats = new Map<string, { rejected: number; harmless: number }>();
    const failures: string[] = [];
    let fastReads = 0;
    const objects = sampleObjects();
    for (let i = 0; i < all.length; i++) {
      const c = all[i];
      const tool = ALL_TOOLS.find((t) => t.name === c.tool)!;
      const base = VALID_ARGS[c.tool];
      const args: Record<string, unknown> = { ...base };
      if (c.field === '__proto__') Object.defineProperty(args, '__proto__', { value: c.attack.value, enumerable: true });
      else args[c.field] = c.attack.value;
      const st = stats.get(c.attack.category) ?? { rejected: 0, harmless: 0 };
      stats.set(c.attack.category, st);
      const target = new FakeTarget(objects, outputs, 'log line\n');
      const ctx: ToolContext = { target, budgetBytes: 8192, timeoutMs: 1000 };
      const parsed = tool.parse(args);
      // Rejected inputs: the full call path is exercised on a sample (every 13th case), to keep the suite fast.
      const result = parsed.ok || i % 13 === 0 ? await tool.call(ctx, args) : { text: '', isError: true };
      const execs = target.calls.filter((x) => x.op === 'nodeExec').map((x) => x.args as NodeCommand);
      if (!parsed.ok) {
        if (!result.isError) failures.push(`${c.tool}.${c.field} ${c.attack.name}: parse rejected but call succeeded`);
        if (execs.length) failures.push(`${c.tool}.${c.field} ${c.attack.name}: rejected input still executed`);
        st.rejected++;
        continue;
      }
      // Accepted: whatever ran must be the tool's own read command.
      const baseCmd = tool.plan?.(base);
      for (const e of execs) {
        const problem = readOnlyArgvProblem(e.argv);
        if (problem) failures.push(`${c.tool}.${c.field} ${c.attack.name}: ran a refused argv: ${problem}`);
        // ovn_db_list's fast read runs ovsdb-client in the same container (mcp/ovsdb-reader.ts)
        const fastRead = c.tool === 'ovn_db_list' && e.argv[0] === 'ovsdb-client';
        if (fastRead && e.argv[1] === 'query') fastReads++;
        if (baseCmd && ((e.argv[0] !== baseCmd.argv[0] && c.field !== 'ipv6' && !fastRead) || e.container !== baseCmd.container))
          failures.push(`${c.tool}.${c.field} ${c.attack.name}: binary/container changed to ${e.argv[0]}/${e.container}`);
        const policy = ARGV_POLICY[e.argv[0]] ?? {};
        const flags = new Set([...(policy.flags ?? []), ...(policy.pairs ?? []).flat()]);
        for (const a of e.argv.slice(1)) {
          if (a.startsWith('-') && !flags.has(a) && !a.startsWith('--columns='))
            failures.push(`${c.tool}.${c.field} ${c.attack.name}: option ${a} reached argv`);
          if (!/^[\x20-\x7e]*$/.test(a)) failures.push(`${c.tool}.${c.field} ${c.attack.name}: non-ASCII reached argv`);
        }
        if (
          typeof c.attack.value === 'string' &&
          c.attack.value.length > 0 &&
          e.argv.includes(c.attack.value) &&
          !baseCmd?.argv.includes(c.attack.value) &&
          /^-|destroy|del|set|add/i.test(c.attack.value) &&
          c.field !== 'microflow'
        ) {
          failures.push(`${c.tool}.${c.field} ${c.attack.name}: payload reached argv verbatim`);
        }
      }
      // Secrets are never read, whatever the kind spelling.
      if (target.calls.some((x) => x.op !== 'nodeExec' && /secret/i.test(JSON.stringify(x.args))))
        failures.push(`${c.tool}.${c.field} ${c.attack.name}: read secrets`);
      st.harmless++;
    }
    const table = [...stats].map(([k, v]) => `${k.padEnd(16)} rejected=${v.rejected} harmless=${v.harmless}`).join('\n');
    console.log(`adversarial cases: ${all.length}, ovsdb-client selects run: ${fastReads}\n${table}`);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(fastReads).toBeGreaterThan(50);
  }, 300_000);

  it('rejects the dangerous payloads outright in every name-like field', () => {
    // ptp: the config file, pmc dataset and CurrentState resource are allow-listed names too
    const nameFields = [
      'node',
      'table',
      'record',
      'router',
      'switch',
      'datapath',
      'bridge',
      'name',
      'namespace',
      'container',
      'kind',
      'file',
      'dataset',
      'resource',
    ];
    const mustReject = ATTACKS.filter((a) =>
      ['flag-smuggling', 'write-verb', 'unicode', 'path-traversal', 'injection'].includes(a.category),
    );
    let n = 0;
    for (const tool of ALL_TOOLS) {
      for (const f of nameFields.filter((x) => x in tool.shape)) {
        for (const a of mustReject) {
          const r = tool.parse({ ...VALID_ARGS[tool.name], [f]: a.value });
          n++;
          expect(r.ok, `${tool.name}.${f} accepted ${a.category}/${a.name}`).toBe(false);
        }
      }
    }
    expect(n).toBeGreaterThan(300);
  });
});
