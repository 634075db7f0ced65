/**
 * The last line of defence: every argv a tool builds is checked against this allow-list right
 * before it is executed (live or offline). Tools build argv from validated fields, so a rejection
 * here means a bug in a builder, not bad input; it is still refused.
 */
import { looksLikeWriteVerb, PRINTABLE_ASCII } from './validate.ts';

interface Policy {
  /** Options allowed as exact tokens. */
  flags?: string[];
  /** Options allowed with a value after '=' (the value is checked as a positional). */
  valued?: string[];
  /** Option pairs `-t ovn-controller` allowed only with that exact value. */
  pairs?: [string, string][];
  /** The first positional must be one of these (null: any positional, e.g. ovn-trace's datapath). */
  commands: string[] | null;
  /** For `ip route show`, `nft list ruleset`: allowed second positionals per command. */
  second?: Record<string, string[]>;
  /** Every positional must match this (curl URLs, pmc GETs, cat paths of the PTP tools). */
  positionals?: RegExp;
}

/** iptables-save and ip6tables-save: a dump of one table at most. */
const IPTABLES_SAVE: Policy = {
  pairs: [
    ['-t', 'filter'],
    ['-t', 'nat'],
    ['-t', 'mangle'],
    ['-t', 'raw'],
  ],
  commands: null,
};

export const ARGV_POLICY: Record<string, Policy> = {
  'ovn-nbctl': {
    flags: ['--format=json', '--format=list', '--format=table', '--no-heading', '--bare'],
    valued: ['--columns'],
    commands: ['show', 'list', 'find', 'lr-nat-list', 'lr-policy-list', 'lr-route-list', 'ls-list', 'lsp-list', 'lr-list', 'lrp-list'],
  },
  'ovn-sbctl': {
    flags: ['--format=json', '--format=list', '--format=table', '--no-heading', '--bare'],
    valued: ['--columns'],
    commands: ['show', 'list', 'find', 'lflow-list'],
  },
  'ovn-trace': { flags: ['--detailed', '--summary', '--minimal'], commands: null },
  'ovn-appctl': { pairs: [['-t', 'ovn-controller']], commands: ['ct-zone-list'] },
  'ovs-vsctl': { commands: ['show', 'list-br', 'list-ports', 'list-ifaces'] },
  'ovs-ofctl': { flags: ['--no-stats', '--names', '--no-names'], commands: ['dump-flows'] },
  'ovs-appctl': { commands: ['dpctl/dump-flows', 'dpctl/dump-conntrack', 'ofproto/trace'] },
  ip: {
    flags: ['-4', '-6', '-j', '-d', '-s'],
    commands: ['route', 'addr', 'rule', 'neigh'],
    second: { route: ['show'], addr: ['show'], rule: ['show'], neigh: ['show'] },
  },
  nft: { commands: ['list'], second: { list: ['ruleset'] } },
  'iptables-save': IPTABLES_SAVE,
  'ip6tables-save': IPTABLES_SAVE,
  // PTP tools (mcp/tools/ptp.ts), in linuxptp-daemon-container: GET of the metrics endpoint and of the sidecar's
  // CurrentState on localhost only, pmc GET of read-only datasets, cat of the daemon's generated config files.
  curl: {
    flags: ['-s'],
    commands: null,
    positionals:
      /^localhost:(9091\/metrics|9043\/api\/ocloudNotifications\/v2\/cluster\/node\/[a-z0-9.-]{1,253}\/sync\/(sync-status\/sync-state|ptp-status\/lock-state|sync-status\/os-clock-sync-state|ptp-status\/clock-class)\/CurrentState)$/,
  },
  pmc: {
    flags: ['-u'],
    pairs: [
      ['-b', '0'],
      ['-f', '/var/run/ptp4l.0.config'],
      ['-f', '/var/run/ptp4l.1.config'],
      ['-f', '/var/run/ptp4l.2.config'],
      ['-f', '/var/run/ptp4l.3.config'],
    ],
    commands: null,
    positionals:
      /^GET (CURRENT_DATA_SET|PARENT_DATA_SET|TIME_STATUS_NP|PORT_DATA_SET|DEFAULT_DATA_SET|TIME_PROPERTIES_DATA_SET|CLOCK_DESCRIPTION|PORT_PROPERTIES_NP|PORT_STATS_NP)$/,
  },
  cat: { commands: null, positionals: /^\/var\/run\/(ptp4l|phc2sys|ts2phc)\.[0-3]\.config$/ },
  conntrack: {
    flags: ['-L'],
    pairs: [
      ['-f', 'ipv4'],
      ['-f', 'ipv6'],
    ],
    commands: null,
  },
};

/**
 * The *ctl tools that run several commands in one transaction separated by `--` (ovn-nbctl(8) "Command
 * syntax"): one exec reads several tables. Each segment is checked on its own as a complete argv, so every
 * command of the chain must be an allow-listed read (a write anywhere in the chain is refused).
 */
const CHAINABLE = new Set(['ovn-nbctl', 'ovn-sbctl']);
const MAX_CHAIN = 8;

/** Returns why argv is not allowed, or undefined. */
export function readOnlyArgvProblem(argv: readonly string[]): string | undefined {
  if (!Array.isArray(argv) || argv.length === 0) return 'empty argv';
  const [bin, ...rest] = argv;
  if (CHAINABLE.has(bin) && rest.includes('--')) {
    const segs: string[][] = [[]];
    for (const a of rest)
      if (a === '--') segs.push([]);
      else segs[segs.length - 1].push(a);
    const [globals, ...cmds] = segs;
    if (cmds.length > MAX_CHAIN) return `at most ${MAX_CHAIN} chained commands`;
    for (const g of globals) {
      if (typeof g !== 'string' || !g.startsWith('-')) return "only options before the first '--'";
      const problem = readOnlyArgvProblem([bin, g, 'list']);
      if (problem) return problem;
    }
    for (const c of cmds) {
      if (!c.length) return "empty command between '--' separators";
      const problem = readOnlyArgvProblem([bin, ...c]);
      if (problem) return problem;
    }
    return undefined;
  }
  const policy = ARGV_POLICY[bin];
  if (!policy) return `binary ${JSON.stringify(bin)} is not allow-listed`;
  const positionals: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i];
    if (typeof a !== 'string') return 'argv element is not a string';
    if (!PRINTABLE_ASCII.test(a)) return `argv element ${i + 1} has non-printable or non-ASCII characters`;
    if (a.length > 2048) return `argv element ${i + 1} is too long`;
    if (a.startsWith('-')) {
      if (a === '--') return "the '--' separator is not allowed";
      if (policy.flags?.includes(a)) continue;
      const eq = a.indexOf('=');
      if (eq > 0 && policy.valued?.includes(a.slice(0, eq))) {
        const v = a.slice(eq + 1);
        if (!/^[a-z_][a-z0-9_]*(,[a-z_][a-z0-9_]*)*$/.test(v)) return `bad value for ${a.slice(0, eq)}`;
        continue;
      }
      const pair = policy.pairs?.find(([f]) => f === a);
      if (pair) {
        if (rest[i + 1] !== pair[1] && !policy.pairs?.some(([f, v]) => f === a && v === rest[i + 1]))
          return `option ${a} only with an allow-listed value`;
        i++;
        continue;
      }
      return `option ${JSON.stringify(a)} is not allow-listed for ${bin}`;
    }
    positionals.push(a);
  }
  if (policy.positionals) {
    if (positionals.length !== 1) return `${bin}: exactly one allow-listed argument`;
    if (!policy.positionals.test(positionals[0]))
      return `${bin}: argument ${JSON.stringify(positionals[0].slice(0, 80))} is not allow-listed`;
    return undefined;
  }
  if (policy.commands) {
    const cmd = positionals[0];
    if (cmd === undefined || !policy.commands.includes(cmd)) return `subcommand ${JSON.stringify(cmd)} is not allow-listed for ${bin}`;
    if (policy.second) {
      const allowed = policy.second[cmd];
      if (allowed && !allowed.includes(positionals[1] ?? '')) return `${bin} ${cmd} ${positionals[1] ?? ''}: only ${allowed.join('|')}`;
    }
    for (const p of positionals.slice(1)) if (looksLikeWriteVerb(p)) return `positional ${JSON.stringify(p)} looks like a write verb`;
  } else {
    for (const p of positionals) if (looksLikeWriteVerb(p)) return `positional ${JSON.stringify(p)} looks like a write verb`;
  }
  return undefined;
}

export class ArgvRejected extends Error {
  override name = 'ArgvRejected';
}

export function assertReadOnlyArgv(argv: readonly string[]): void {
  const problem = readOnlyArgvProblem(argv);
  if (problem) throw new ArgvRejected(`refused to run ${JSON.stringify(argv.slice(0, 4))}: ${problem}`);
}
