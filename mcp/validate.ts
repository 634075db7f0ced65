/**
 * Argument validation for the read-only MCP tools.
 *
 * Every string a model can send ends up either as one argv element of an allow-listed command
 * (never a shell string) or as a Kubernetes API parameter. The rules here are deliberately narrow:
 * printable ASCII only (no homoglyphs, RTL overrides, zero-width or fullwidth characters), no
 * shell metacharacters in names, no leading '-' (no flag smuggling, no '--' command separator for
 * the ovs db-ctl tools), no write verbs as positional values, and bounded lengths.
 * The argv guard (`assertReadOnlyArgv`) runs again at exec time, so a bug in one tool's builder
 * cannot turn into a write.
 */
import * as z from 'zod';

/** Printable ASCII, space included; nothing else (no tabs, newlines, NUL, unicode). */
export const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/** Verbs of ovn-nbctl / ovn-sbctl / ovs-vsctl / ovs-ofctl / ovs-appctl that change state. */
export const WRITE_VERBS = [
  'set',
  'add',
  'del',
  'delete',
  'destroy',
  'create',
  'clear',
  'remove',
  'insert',
  'update',
  'mutate',
  'replace',
  'init',
  'emer-reset',
  'sync',
  'wait',
  'wait-until',
  'mod',
  'mod-flows',
  'add-flow',
  'add-flows',
  'del-flows',
  'replace-flows',
  'mod-port',
  'mod-table',
  'flush',
  'exit',
  'restart',
  'compact',
  'reconnect',
  'kill',
  'shutdown',
  'load',
  'apply',
  'patch',
  'write',
  'install',
  'transact',
  'backup',
  'recover',
  'enable',
  'disable',
  'pause',
  'resume',
  'reset',
  'commit',
  'bind',
  'unbind',
  'attach',
  'detach',
  'exec',
  'run',
  'eval',
];
const WRITE_VERB_SET = new Set(WRITE_VERBS);
const WRITE_VERB_PREFIXED = /^(?:[a-z]+-)*(?:add|del|set|mod|replace|clear|flush|destroy|remove|create|reset|emer-reset)(?:-[a-z0-9]+)*$/i;
const WRITE_APPCTL =
  /\/(?:[a-z-]*-)?(?:flush|del|add|mod|set|clear|reset|enable|disable|exit|reconnect|recompute|pause|resume|inject|compact|kill|restart)/i;

/**
 * True when a positional value reads like a write command: `destroy`, `set`, `lr-nat-add`, `del-br`,
 * `add-flow`, `dpctl/flush-conntrack`. Ordinary names (`Load_Balancer`, `GR_ovn-worker`) pass.
 */
export function looksLikeWriteVerb(s: string): boolean {
  const l = s.toLowerCase();
  if (WRITE_VERB_SET.has(l)) return true;
  if (WRITE_VERB_PREFIXED.test(s)) return true;
  return WRITE_APPCTL.test(s);
}

/** Characters a shell would interpret; never allowed in names. */
export const SHELL_META = /[;&|`$<>(){}[\]\\'"*?!~#%^\s,=]/;

function baseString(field: string, max: number) {
  return z
    .string()
    .max(max, { message: `${field}: at most ${max} characters`, abort: true })
    .refine((s) => PRINTABLE_ASCII.test(s), {
      message: `${field}: printable ASCII only (no control, zero-width, bidi, fullwidth or other unicode characters)`,
      abort: true,
    })
    .refine((s) => !s.startsWith('-'), {
      message: `${field}: must not start with '-' (options cannot be passed through arguments)`,
      abort: true,
    });
}

function named(field: string, re: RegExp, max: number, example: string) {
  return baseString(field, max)
    .refine((s) => s.length > 0, `${field}: must not be empty`)
    .refine((s) => re.test(s), `${field}: must match ${re.source} (e.g. ${example})`)
    .refine((s) => !looksLikeWriteVerb(s), `${field}: looks like a write verb; this server is read-only`);
}

/** Kubernetes object / node names (DNS-1123 subdomain). */
export const K8S_NAME_RE = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
export const k8sName = (field = 'name') => named(field, K8S_NAME_RE, 253, 'ovn-worker-2');
/** Namespaces (DNS-1123 label). */
export const NAMESPACE_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const namespace = (field = 'namespace') => named(field, NAMESPACE_RE, 63, 'openshift-ovn-kubernetes');
/** Container names (DNS-1123 label). */
export const container = (field = 'container') => named(field, NAMESPACE_RE, 63, 'ovnkube-controller');
/** Kinds: CamelCase identifiers, or lowercase plural resources. */
export const KIND_RE = /^[A-Za-z][A-Za-z0-9]{0,62}$/;
export const kind = (field = 'kind') => named(field, KIND_RE, 63, 'EgressIP');
/** apiVersion: `v1` or `group/version`. */
export const API_VERSION_RE = /^([a-z0-9]([a-z0-9.-]{0,200}[a-z0-9])?\/)?v[0-9]+((alpha|beta)[0-9]+)?$/;
export const apiVersion = (field = 'apiVersion') => named(field, API_VERSION_RE, 253, 'k8s.ovn.org/v1');

/**
 * Label / field selectors: `key=value`, `key!=value`, `key in (a,b)`, `!key`, comma separated.
 * Passed to the API as a query parameter (never to a process), so a narrow charset is enough.
 */
export const SELECTOR_RE = /^[A-Za-z0-9_./=!,() -]*$/;
export const selector = (field: string) =>
  baseString(field, 512).refine(
    (s) => SELECTOR_RE.test(s),
    `${field}: letters, digits and _ . / = ! , ( ) - and spaces only (e.g. app=ovnkube-node)`,
  );

/** OVSDB table names (OVN_Northbound, OVN_Southbound, Open_vSwitch schemas). */
export const TABLE_RE = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
export const table = (field = 'table') => named(field, TABLE_RE, 64, 'Logical_Router_Policy');
/** OVSDB column names. */
export const COLUMN_RE = /^[a-z_][a-z0-9_]{0,63}$/;
export const column = (field = 'column') => named(field, COLUMN_RE, 64, 'external_ids');
/** A record reference: a row name or a UUID (full or the 4+ hex prefix ovn-nbctl accepts). */
export const RECORD_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}$/;
export const record = (field = 'record') => named(field, RECORD_RE, 253, 'GR_ovn-worker or 5c9f...');
/** OVN logical router / switch / port / datapath names (ovnkube uses `GR_<node>`, `rtoj-GR_<node>`, `<ns>_<pod>`). */
export const OVN_NAME_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}$/;
export const ovnName = (field: string, example: string) => named(field, OVN_NAME_RE, 253, example);
/** OVS bridge / port names (Linux interface names plus OVS's longer patch-port names). */
export const BRIDGE_RE = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;
export const bridge = (field = 'bridge') => named(field, BRIDGE_RE, 64, 'br-int');

/**
 * `find` conditions of the ovs db-ctl tools: `column[:key]OP value`, e.g. `type=snat`,
 * `external_ids:"k8s.ovn.org/owner-type"=EgressIP`, `priority>=100`, `options{>=}{stateless="false"}`.
 */
export const CONDITION_RE =
  /^[a-z_][a-z0-9_]{0,63}(:("[A-Za-z0-9_./-]{1,128}"|[A-Za-z0-9_.-]{1,128}))?(=|!=|<=|>=|<|>|\{=\}|\{!=\}|\{<=\}|\{>=\}|\{<\}|\{>\})[A-Za-z0-9_.:/@"[\]{},= -]{0,256}$/;
export const condition = (field = 'condition') =>
  baseString(field, 512).refine(
    (s) => CONDITION_RE.test(s),
    `${field}: must look like column[:key]OP value with OP one of = != < > <= >= {=} {!=} {<} {>} {<=} {>=} (e.g. type=snat, priority=100, external_ids:"k8s.ovn.org/owner-type"=EgressIP)`,
  );

/**
 * OVN logical-flow expressions for ovn-trace microflows. Tokenised: identifiers with dots, numbers,
 * IPv4/IPv6/MAC literals, "quoted port names", $address_set references, and the operators of
 * ovn-logical-flows(7). The expression is one argv element; nothing here is ever seen by a shell.
 */
const MICROFLOW_TOKEN =
  /\s+|"[A-Za-z0-9_.:/@-]{1,253}"|\$[A-Za-z0-9_]{1,128}|[0-9a-fA-F]{1,2}(?::[0-9a-fA-F]{1,2}){5}|[0-9a-fA-F:.]*:[0-9a-fA-F:.]*(?:\/\d{1,3})?|\d{1,3}(?:\.\d{1,3}){3}(?:\/\d{1,2})?|0x[0-9a-fA-F]{1,32}|\d{1,20}|[A-Za-z_][A-Za-z0-9_.]{0,63}(?:\[\d{1,3}(?:\.\.\d{1,3})?\])?|==|!=|<=|>=|&&|\|\||[<>!(){},]|\.\./y;
export function microflowProblem(s: string): string | undefined {
  MICROFLOW_TOKEN.lastIndex = 0;
  let i = 0;
  while (i < s.length) {
    MICROFLOW_TOKEN.lastIndex = i;
    const m = MICROFLOW_TOKEN.exec(s);
    if (!m || m[0].length === 0) return `unexpected character ${JSON.stringify(s[i])} at offset ${i}`;
    i += m[0].length;
  }
  return undefined;
}
export const microflow = (field = 'microflow') =>
  baseString(field, 1024)
    .refine((s) => s.trim().length > 0, `${field}: must not be empty`)
    .refine(
      (s) => microflowProblem(s) === undefined,
      `${field}: not an OVN expression (fields, literals, "port" names, $address_sets and == != < <= > >= && || ! ( ) { } only), e.g. inport == "default_web-1" && eth.src == 0a:58:0a:80:02:05 && ip4.src == 10.128.2.5 && ip4.dst == 8.8.8.8 && ip.ttl == 64`,
    );

/**
 * OpenFlow flow descriptions for ofproto/trace: `in_port=3,tcp,nw_src=10.0.0.1,tp_dst=80`.
 * Comma-separated key[=value] fields, no spaces, nothing a shell or ovs-appctl option parser could use.
 */
export const OF_FLOW_RE = /^[a-z_][a-z0-9_]{0,31}(=[A-Za-z0-9_.:/x-]{1,64})?(,[a-z_][a-z0-9_]{0,31}(=[A-Za-z0-9_.:/x-]{1,64})?){0,63}$/;
export const ofFlow = (field = 'flow') =>
  baseString(field, 2048).refine(
    (s) => OF_FLOW_RE.test(s),
    `${field}: comma-separated field[=value] items, e.g. in_port=1,ip,nw_src=10.128.2.5,nw_dst=8.8.8.8`,
  );

/** Grep patterns: JavaScript regular expressions applied in the server, never passed to a process. */
export const GREP_MAX = 200;
/** Nested quantifiers like (a+)+ or (.*)* can backtrack for a very long time. */
const NESTED_QUANTIFIER = /\((?:[^()\\]|\\.)*[+*}](?:[^()\\]|\\.)*\)[+*{]/;
export function grepProblem(s: string): string | undefined {
  if (NESTED_QUANTIFIER.test(s)) return 'nested quantifiers such as (a+)+ are not allowed (catastrophic backtracking)';
  if (/\\[1-9]/.test(s)) return 'backreferences are not allowed';
  try {
    new RegExp(s, 'i');
  } catch (err) {
    return (err as Error).message;
  }
  return undefined;
}
export const grep = (field = 'grep') =>
  z
    .string()
    .max(GREP_MAX, { message: `${field}: at most ${GREP_MAX} characters`, abort: true })
    .refine((s) => PRINTABLE_ASCII.test(s), { message: `${field}: printable ASCII only`, abort: true })
    .refine((s) => grepProblem(s) === undefined, `${field}: not a safe regular expression`);

/** Common output controls, shared by every tool. */
export const outputShape = {
  grep: grep()
    .optional()
    .describe(
      'Case-insensitive JavaScript regular expression; keep only lines (or records / objects) that match. Applied by this server, at most 200 characters. Example: "10\\.128\\.2\\.5|EgressIP".',
    ),
  grep_invert: z.boolean().optional().describe('Keep lines that do NOT match grep.'),
  offset: z
    .number()
    .int()
    .min(0)
    .max(10_000_000)
    .optional()
    .describe('Skip this many lines/records first (for paging; the truncation notice tells you the next offset).'),
  limit: z.number().int().min(1).max(100_000).optional().describe('Return at most this many lines/records.'),
  format: z
    .enum(['text', 'json'])
    .optional()
    .describe(
      "text (default, compact) or json (structured, larger; for ovn_db_list, k8s_* and egressip_* tools; command-output tools always return the command's text).",
    ),
};

/** Node-scoped tools: the Kubernetes node whose ovnkube-node pod runs the command. */
export const nodeArg = () =>
  k8sName('node').describe(
    "Kubernetes node name (from k8s_list kind=Node). The tool finds that node's ovnkube-node pod and the right container itself.",
  );
