/**
 * Kubernetes tools: read API objects, a describe-like summary, pod logs and events.
 * Secrets are never served.
 */
import * as z from 'zod';
import YAML from 'yaml';
import { defineTool, pageOpts, type AnyTool, type ApiRead } from '../registry.ts';
import { MAX_LINE_CHARS, pageItems, pageText, type PageOptions } from '../output.ts';
import { apiVersion, container, k8sName, kind, namespace, outputShape, selector } from '../validate.ts';
import { ToolError, type K8sObject, type ListQuery, type Target } from '../target.ts';
import { CHAOS_API_VERSION, CHAOS_KINDS, SCHEDULE_RESOURCE } from '../../chaos/model.ts';

interface KindInfo {
  kind: string;
  apiVersion: string;
  /** the plural resource (RBAC: mcp/rbac/) */
  resource: string;
  namespaced: boolean;
}

/** The kinds the k8s tools serve by name (any other kind needs apiVersion, and RBAC for it). */
export const KNOWN: KindInfo[] = [
  { kind: 'Pod', apiVersion: 'v1', resource: 'pods', namespaced: true },
  { kind: 'Node', apiVersion: 'v1', resource: 'nodes', namespaced: false },
  { kind: 'Namespace', apiVersion: 'v1', resource: 'namespaces', namespaced: false },
  { kind: 'Service', apiVersion: 'v1', resource: 'services', namespaced: true },
  { kind: 'Endpoints', apiVersion: 'v1', resource: 'endpoints', namespaced: true },
  { kind: 'Event', apiVersion: 'v1', resource: 'events', namespaced: true },
  { kind: 'ConfigMap', apiVersion: 'v1', resource: 'configmaps', namespaced: true },
  { kind: 'ServiceAccount', apiVersion: 'v1', resource: 'serviceaccounts', namespaced: true },
  { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1', resource: 'endpointslices', namespaced: true },
  { kind: 'Deployment', apiVersion: 'apps/v1', resource: 'deployments', namespaced: true },
  { kind: 'DaemonSet', apiVersion: 'apps/v1', resource: 'daemonsets', namespaced: true },
  { kind: 'ReplicaSet', apiVersion: 'apps/v1', resource: 'replicasets', namespaced: true },
  { kind: 'StatefulSet', apiVersion: 'apps/v1', resource: 'statefulsets', namespaced: true },
  { kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1', resource: 'networkpolicies', namespaced: true },
  { kind: 'EgressIP', apiVersion: 'k8s.ovn.org/v1', resource: 'egressips', namespaced: false },
  { kind: 'EgressFirewall', apiVersion: 'k8s.ovn.org/v1', resource: 'egressfirewalls', namespaced: true },
  { kind: 'EgressQoS', apiVersion: 'k8s.ovn.org/v1', resource: 'egressqoses', namespaced: true },
  { kind: 'EgressService', apiVersion: 'k8s.ovn.org/v1', resource: 'egressservices', namespaced: true },
  { kind: 'UserDefinedNetwork', apiVersion: 'k8s.ovn.org/v1', resource: 'userdefinednetworks', namespaced: true },
  { kind: 'ClusterUserDefinedNetwork', apiVersion: 'k8s.ovn.org/v1', resource: 'clusteruserdefinednetworks', namespaced: false },
  { kind: 'AdminNetworkPolicy', apiVersion: 'policy.networking.k8s.io/v1alpha1', resource: 'adminnetworkpolicies', namespaced: false },
  { kind: 'NetworkAttachmentDefinition', apiVersion: 'k8s.cni.cncf.io/v1', resource: 'network-attachment-definitions', namespaced: true },
  { kind: 'CustomResourceDefinition', apiVersion: 'apiextensions.k8s.io/v1', resource: 'customresourcedefinitions', namespaced: false },
  { kind: 'PtpConfig', apiVersion: 'ptp.openshift.io/v1', resource: 'ptpconfigs', namespaced: true },
  {
    kind: 'BaselineAdminNetworkPolicy',
    apiVersion: 'policy.networking.k8s.io/v1alpha1',
    resource: 'baselineadminnetworkpolicies',
    namespaced: false,
  },
  { kind: 'AdminPolicyBasedExternalRoute', apiVersion: 'k8s.ovn.org/v1', resource: 'adminpolicybasedexternalroutes', namespaced: false },
  { kind: 'NodePtpDevice', apiVersion: 'ptp.openshift.io/v1', resource: 'nodeptpdevices', namespaced: true },
  { kind: 'PtpOperatorConfig', apiVersion: 'ptp.openshift.io/v1', resource: 'ptpoperatorconfigs', namespaced: true },
  // every Chaos Mesh kind the harness knows (chaos/kinds/), and Schedule
  ...Object.entries(CHAOS_KINDS).map(([kind, k]) => ({ kind, apiVersion: CHAOS_API_VERSION, resource: k.resource, namespaced: true })),
  { kind: 'Schedule', apiVersion: CHAOS_API_VERSION, resource: SCHEDULE_RESOURCE, namespaced: true },
];
const ALIASES: Record<string, string> = {
  po: 'Pod',
  no: 'Node',
  ns: 'Namespace',
  svc: 'Service',
  ep: 'Endpoints',
  ev: 'Event',
  cm: 'ConfigMap',
  sa: 'ServiceAccount',
  deploy: 'Deployment',
  ds: 'DaemonSet',
  rs: 'ReplicaSet',
  sts: 'StatefulSet',
  netpol: 'NetworkPolicy',
  eip: 'EgressIP',
  crd: 'CustomResourceDefinition',
  nad: 'NetworkAttachmentDefinition',
  anp: 'AdminNetworkPolicy',
  udn: 'UserDefinedNetwork',
};
/** Kinds never served: they hold credentials. */
const DENIED = /^(secrets?|tokenreviews?|serviceaccounttokens?|tokenrequests?)$/i;

export function resolveKind(k: string, av?: string): KindInfo {
  if (DENIED.test(k)) throw new ToolError(`kind ${k} is not served by this read-only troubleshooting server (it holds credentials)`);
  const lower = k.toLowerCase();
  const byAlias = ALIASES[lower];
  const found = KNOWN.find(
    (i) =>
      i.kind.toLowerCase() === (byAlias ?? k).toLowerCase() ||
      `${i.kind.toLowerCase()}s` === lower ||
      `${i.kind.toLowerCase()}es` === lower,
  );
  if (found) return av ? { ...found, apiVersion: av } : found;
  if (!av)
    throw new ToolError(
      `unknown kind ${k}: pass apiVersion too (e.g. kind=PtpConfig apiVersion=ptp.openshift.io/v1), or use one of ${KNOWN.map((i) => i.kind).join(', ')}`,
    );
  return { kind: k, apiVersion: av, resource: `${k.toLowerCase()}s`, namespaced: true };
}

/** The API group of an apiVersion ('' for core `v1`). */
export function groupOf(apiVersion: string): string {
  return apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
}

/** What the generic k8s tools can read: every served kind, cluster-wide. */
const knownReads = (): ApiRead[] => KNOWN.map((k) => ({ group: groupOf(k.apiVersion), resource: k.resource }));

/** Objects without managedFields and last-applied noise. */
export function clean(o: K8sObject): K8sObject {
  const c = structuredClone(o);
  if (c.metadata) {
    delete c.metadata.managedFields;
    if (c.metadata.annotations) delete c.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'];
  }
  return c;
}

function age(ts: string | Date | undefined): string {
  if (!ts) return '?';
  const s = Math.max(0, Math.round((Date.now() - new Date(ts).getTime()) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86400)}d`;
}

function get(o: unknown, path: string): unknown {
  let cur: unknown = o;
  for (const p of path.split('.')) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function conditionTrue(o: K8sObject, type: string): string {
  const conds = (o.status?.conditions as { type?: string; status?: string }[] | undefined) ?? [];
  return conds.find((c) => c.type === type)?.status ?? '?';
}

/** One line per object with the fields that matter for networking. */
export function summaryLine(o: K8sObject): string {
  const m = o.metadata ?? {};
  const id = m.namespace ? `${m.namespace}/${m.name}` : `${m.name}`;
  const parts: string[] = [id];
  switch (o.kind) {
    case 'Pod': {
      const cs = (o.status?.containerStatuses as { ready?: boolean; restartCount?: number }[] | undefined) ?? [];
      parts.push(
        `phase=${get(o, 'status.phase') ?? '?'}`,
        `node=${get(o, 'spec.nodeName') ?? '-'}`,
        `ip=${get(o, 'status.podIP') ?? '-'}`,
        `ready=${cs.filter((c) => c.ready).length}/${cs.length}`,
        `restarts=${cs.reduce((n, c) => n + (c.restartCount ?? 0), 0)}`,
      );
      if (get(o, 'spec.hostNetwork')) parts.push('hostNetwork');
      break;
    }
    case 'Node': {
      const addrs = (o.status?.addresses as { type?: string; address?: string }[] | undefined) ?? [];
      parts.push(`Ready=${conditionTrue(o, 'Ready')}`, `ip=${addrs.find((a) => a.type === 'InternalIP')?.address ?? '-'}`);
      if (m.labels?.['k8s.ovn.org/egress-assignable'] !== undefined) parts.push('egress-assignable');
      if (get(o, 'spec.unschedulable')) parts.push('unschedulable');
      break;
    }
    case 'EgressIP': {
      const items = (o.status?.items as { node?: string; egressIP?: string }[] | undefined) ?? [];
      parts.push(
        `egressIPs=${JSON.stringify(get(o, 'spec.egressIPs') ?? [])}`,
        `assigned=${items.map((i) => `${i.egressIP}@${i.node}`).join(',') || 'none'}`,
      );
      break;
    }
    case 'Event':
      parts.push(
        `${o.type ?? ''} ${o.reason ?? ''} ${get(o, 'involvedObject.kind') ?? ''}/${get(o, 'involvedObject.name') ?? ''}: ${String(o.message ?? '').slice(0, 200)}`,
      );
      break;
    case 'Service':
      parts.push(`type=${get(o, 'spec.type') ?? '?'}`, `clusterIP=${get(o, 'spec.clusterIP') ?? '-'}`);
      break;
    default: {
      const ready = conditionTrue(o, 'Ready');
      if (ready !== '?') parts.push(`Ready=${ready}`);
    }
  }
  parts.push(`age=${age(m.creationTimestamp)}`);
  return parts.join('  ');
}

const FIELD_PATH = /^[A-Za-z0-9_][A-Za-z0-9_./-]{0,200}$/;

const kindArg = () =>
  kind().describe(
    'Kind (Pod, Node, EgressIP, Service, Event, Namespace, Deployment, DaemonSet, EndpointSlice, NetworkPolicy, ...) or a short name (po, no, eip, svc).',
  );
const avArg = () => apiVersion().optional().describe('Needed only for kinds not in the built-in list, e.g. ptp.openshift.io/v1.');
const nsArg = () => namespace().optional().describe('Namespace for namespaced kinds; omit to search all namespaces.');

function fmtObject(o: K8sObject, format: 'text' | 'json' | undefined): string {
  return format === 'json' ? JSON.stringify(clean(o), null, 1) : YAML.stringify(clean(o));
}

async function getOne(t: Target, info: KindInfo, name: string, ns?: string): Promise<K8sObject> {
  if (info.namespaced && !ns) {
    const all = await t.list({ apiVersion: info.apiVersion, kind: info.kind, fieldSelector: `metadata.name=${name}` });
    const hits = all.filter((o) => o.metadata?.name === name);
    if (hits.length === 1) return hits[0];
    if (hits.length > 1)
      throw new ToolError(
        `${info.kind} ${name} exists in several namespaces (${hits.map((h) => h.metadata?.namespace).join(', ')}); pass namespace`,
      );
    throw new ToolError(`${info.kind} ${name} not found in any namespace`);
  }
  const o = await t.get(info.apiVersion, info.kind, name, info.namespaced ? ns : undefined);
  if (!o) throw new ToolError(`${info.kind} ${ns ? `${ns}/` : ''}${name} not found`);
  return o;
}

const k8sGet = defineTool({
  name: 'k8s_get',
  toolset: 'k8s',
  title: 'Get one Kubernetes object',
  description:
    'The full YAML (or JSON) of one Kubernetes object, without managedFields. Use for exact spec/status, e.g. an EgressIP\'s status.items (which node holds which egress IP) or a node\'s annotations (k8s.ovn.org/node-transit-switch-port-ifaddr, k8s.ovn.org/host-cidrs). Example: {kind:"EgressIP", name:"egressip-prod"}; {kind:"Node", name:"ovn-worker", grep:"k8s.ovn.org"}.',
  shape: { kind: kindArg(), name: k8sName(), namespace: nsArg(), apiVersion: avArg(), ...outputShape },
  reads: knownReads(),
  async run(ctx, a) {
    const info = resolveKind(a.kind, a.apiVersion);
    const o = await getOne(ctx.target, info, a.name, a.namespace);
    const page = pageText(fmtObject(o, a.format), pageOpts(ctx, a));
    return { text: page.text };
  },
});

const k8sList = defineTool({
  name: 'k8s_list',
  toolset: 'k8s',
  title: 'List Kubernetes objects',
  description:
    'One summary line per object (pods: phase, node, IP, readiness, restarts; nodes: Ready, IP, egress-assignable; EgressIPs: spec IPs and assignments), filtered by namespace, label selector, field selector and grep. Add fields=[dot.paths] to print chosen fields instead. Example: {kind:"Pod", namespace:"openshift-ovn-kubernetes", label_selector:"app=ovnkube-node"}; {kind:"Pod", field_selector:"spec.nodeName=ovn-worker", grep:"Pending|CrashLoop"}; {kind:"Node"}.',
  shape: {
    kind: kindArg(),
    namespace: nsArg(),
    apiVersion: avArg(),
    label_selector: selector('label_selector').optional().describe('e.g. app=web,tier!=db'),
    field_selector: selector('field_selector').optional().describe('e.g. spec.nodeName=ovn-worker or status.phase=Running'),
    fields: z
      .array(z.string().max(200).regex(FIELD_PATH, 'fields: dot paths like status.podIP'))
      .max(12)
      .optional()
      .describe('Print these dot paths per object instead of the summary, e.g. ["spec.nodeName","status.podIP"].'),
    ...outputShape,
  },
  reads: knownReads(),
  async run(ctx, a) {
    const info = resolveKind(a.kind, a.apiVersion);
    const q: ListQuery = {
      apiVersion: info.apiVersion,
      kind: info.kind,
      namespace: info.namespaced ? a.namespace : undefined,
      labelSelector: a.label_selector,
      fieldSelector: a.field_selector,
    };
    const render = (o: K8sObject): string =>
      a.format === 'json'
        ? JSON.stringify(
            a.fields
              ? Object.fromEntries([
                  ['name', o.metadata?.name],
                  ['namespace', o.metadata?.namespace],
                  ...a.fields.map((f) => [f, get(o, f)]),
                ])
              : clean(o),
          )
        : a.fields
          ? [
              o.metadata?.namespace ? `${o.metadata.namespace}/${o.metadata.name}` : o.metadata?.name,
              ...a.fields.map((f) => `${f}=${JSON.stringify(get(o, f) ?? null)}`),
            ].join('  ')
          : summaryLine({ kind: info.kind, ...o });
    const opts = pageOpts(ctx, a, { unit: 'objects', hints: ['label_selector=...', 'field_selector=...', 'namespace=...'] });
    const listed = await listForPage(ctx.target, q, opts, render);
    const page = pageItems(listed.items, opts);
    return { text: `${listed.total} ${info.kind} object(s)\n${page.text}` };
  },
});

/** Orders like the apiserver (namespace, then name); one collator instead of a localeCompare per comparison. */
const collator = new Intl.Collator();
const byNamespaceName = (x: K8sObject, y: K8sObject): number =>
  collator.compare(`${x.metadata?.namespace ?? ''}/${x.metadata?.name}`, `${y.metadata?.namespace ?? ''}/${y.metadata?.name}`);

/** The cost pageItems gives a line at least (a line it cuts still costs its first MAX_LINE_CHARS chars). */
const minLineCost = (s: string): number => Math.min(Buffer.byteLength(s), MAX_LINE_CHARS) + 1;

/**
 * The rendered items pageItems needs, and the list's size. Without grep, on a target that pages server-side,
 * only the objects up to the page's end are fetched and rendered (limit + continue): the page ends inside them
 * (their cost passes the budget, or the limit, or the list ends), so the rest is only counted, from the
 * apiserver's remainingItemCount or, under a selector, over metadata-only pages. With grep every object is
 * needed (grep runs on the rendered lines).
 */
async function listForPage(
  t: Target,
  q: ListQuery,
  opts: PageOptions,
  render: (o: K8sObject) => string,
): Promise<{ items: string[]; total: number }> {
  if (opts.grep || !t.listPage) {
    const objs = await t.list(q);
    objs.sort(byNamespaceName);
    return { items: objs.map(render), total: objs.length };
  }
  const room = Math.max(256, opts.budgetBytes - 400);
  const offset = opts.offset ?? 0;
  const want = opts.limit ?? Number.MAX_SAFE_INTEGER;
  const items: string[] = [];
  let used = 0;
  let cont: string | undefined;
  let rest = 0;
  for (;;) {
    // enough for the rest of the budget at >= 48 bytes a line (then one page more if they were shorter)
    const skip = Math.max(0, offset - items.length);
    const fit = Math.ceil(Math.max(0, room - used) / 48) + 1;
    const shown = Math.max(0, items.length - offset);
    const limit = Math.max(20, Math.min(500, skip + Math.min(fit, want - shown)));
    const p = await t.listPage({ ...q, limit, continue: cont });
    for (const o of p.items) {
      const line = render(o);
      if (items.length >= offset) used += minLineCost(line);
      items.push(line);
    }
    cont = p.continue;
    if (!cont) break;
    if (used > room || items.length >= offset + want) {
      rest = p.remainingItemCount ?? (t.countRest ? await t.countRest(q, cont) : 0);
      break;
    }
  }
  // the unfetched rest is never shown (the page ends before it), only counted: empty placeholders
  for (let i = 0; i < rest; i++) items.push('');
  return { items, total: items.length };
}

async function eventsFor(t: Target, kindName: string, name: string, ns?: string): Promise<K8sObject[]> {
  const fs = [`involvedObject.name=${name}`, `involvedObject.kind=${kindName}`].join(',');
  const evs = await t.list({ apiVersion: 'v1', kind: 'Event', namespace: ns, fieldSelector: fs }).catch(() => [] as K8sObject[]);
  return evs.filter((e) => get(e, 'involvedObject.name') === name && get(e, 'involvedObject.kind') === kindName);
}

function eventTime(e: K8sObject): string {
  const t = (e.lastTimestamp ?? e.eventTime ?? e.firstTimestamp ?? e.metadata?.creationTimestamp) as string | Date | undefined;
  return t ? new Date(t).toISOString() : '';
}

function eventLine(e: K8sObject): string {
  return `${eventTime(e)} ${e.type ?? ''} ${e.reason ?? ''} ${get(e, 'involvedObject.kind') ?? ''}/${get(e, 'involvedObject.name') ?? ''}${Number(e.count ?? 1) > 1 ? ` (x${e.count})` : ''}: ${String(e.message ?? '').trim()}`;
}

const k8sDescribe = defineTool({
  name: 'k8s_describe',
  toolset: 'k8s',
  title: 'Describe a Kubernetes object (summary + events)',
  description:
    'A compact kubectl-describe-like summary: identity, labels, networking annotations (k8s.ovn.org/*), key spec/status fields, conditions, container states, and the object\'s recent events. Cheaper than k8s_get for a first look. Example: {kind:"Pod", namespace:"default", name:"web-1"}; {kind:"Node", name:"ovn-worker"}.',
  shape: { kind: kindArg(), name: k8sName(), namespace: nsArg(), apiVersion: avArg(), ...outputShape },
  reads: [...knownReads(), { group: '', resource: 'events' }],
  async run(ctx, a) {
    const info = resolveKind(a.kind, a.apiVersion);
    const o = await getOne(ctx.target, info, a.name, a.namespace);
    const m = o.metadata ?? {};
    const lines: string[] = [
      `${info.kind} ${m.namespace ? `${m.namespace}/` : ''}${m.name}`,
      `  ${summaryLine({ kind: info.kind, ...o })}`,
    ];
    if (m.labels && Object.keys(m.labels).length)
      lines.push(
        `labels: ${Object.entries(m.labels)
          .map(([k, v]) => `${k}=${v}`)
          .join(', ')}`,
      );
    const ann = Object.entries(m.annotations ?? {}).filter(([k]) => /ovn|network|egress|k8s\.v1\.cni/.test(k));
    if (ann.length) lines.push('annotations:', ...ann.map(([k, v]) => `  ${k}: ${v.length > 300 ? `${v.slice(0, 300)}…` : v}`));
    if (m.ownerReferences?.length) lines.push(`owners: ${m.ownerReferences.map((r) => `${r.kind}/${r.name}`).join(', ')}`);
    if (o.spec) {
      const spec = { ...o.spec };
      if (info.kind === 'Pod') {
        const cs = (spec.containers as { name?: string; image?: string }[] | undefined) ?? [];
        lines.push(`containers: ${cs.map((c) => `${c.name} (${c.image})`).join(', ')}`);
        for (const k of ['containers', 'initContainers', 'volumes', 'tolerations']) delete spec[k];
      }
      lines.push(
        'spec:',
        ...YAML.stringify(spec)
          .trimEnd()
          .split('\n')
          .slice(0, 40)
          .map((l) => `  ${l}`),
      );
    }
    if (o.status) {
      const st = { ...o.status };
      const conds = (st.conditions as { type?: string; status?: string; reason?: string; message?: string }[] | undefined) ?? [];
      delete st.conditions;
      if (info.kind === 'Node') for (const k of ['images', 'nodeInfo', 'volumesAttached', 'volumesInUse']) delete st[k];
      if (conds.length)
        lines.push(
          'conditions:',
          ...conds.map(
            (c) => `  ${c.type}=${c.status}${c.reason ? ` (${c.reason})` : ''}${c.message ? `: ${c.message.slice(0, 200)}` : ''}`,
          ),
        );
      lines.push(
        'status:',
        ...YAML.stringify(st)
          .trimEnd()
          .split('\n')
          .slice(0, 40)
          .map((l) => `  ${l}`),
      );
    }
    const evs = await eventsFor(ctx.target, info.kind, a.name, m.namespace);
    evs.sort((x, y) => eventTime(x).localeCompare(eventTime(y)));
    lines.push(evs.length ? 'events:' : 'events: <none>', ...evs.slice(-15).map((e) => `  ${eventLine(e)}`));
    const page = pageText(lines.join('\n'), pageOpts(ctx, a));
    return { text: page.text };
  },
});

const podLogs = defineTool({
  name: 'k8s_pod_logs',
  toolset: 'k8s',
  title: 'Logs of a pod container',
  description:
    'Container logs of a pod, newest last; when the logs exceed the output budget the LAST lines are shown (pass offset to page back). OVN-Kubernetes logs live in namespace openshift-ovn-kubernetes: pod ovnkube-node-<x> (one per node; find it with k8s_list kind=Pod label_selector=app=ovnkube-node field_selector=spec.nodeName=<node>), container ovnkube-controller (EgressIP, pod and NAT programming) or ovn-controller; ovnkube-control-plane-* container ovnkube-cluster-manager (EgressIP assignment). Example: {namespace:"openshift-ovn-kubernetes", name:"ovnkube-node-abcde", container:"ovnkube-controller", since_seconds:600, grep:"egress"}.',
  shape: {
    namespace: namespace(),
    name: k8sName(),
    container: container().optional().describe('Container name; required when the pod has several containers.'),
    since_seconds: z
      .number()
      .int()
      .min(1)
      .max(30 * 86400)
      .optional()
      .describe('Only lines newer than this many seconds.'),
    tail: z.number().int().min(1).max(100_000).optional().describe('Only the last N lines (default 2000, before grep).'),
    previous: z.boolean().optional().describe('Logs of the previous (crashed/restarted) container instance.'),
    ...outputShape,
  },
  reads: [{ group: '', resource: 'pods/log' }],
  async run(ctx, a) {
    const text = await ctx.target.logs({
      namespace: a.namespace,
      pod: a.name,
      container: a.container,
      sinceSeconds: a.since_seconds,
      tailLines: a.tail ?? 2000,
      previous: a.previous,
    });
    const page = pageText(text, { ...pageOpts(ctx, a, { hints: ['since_seconds=...'] }), preferEnd: a.offset === undefined });
    return { text: page.text };
  },
});

const events = defineTool({
  name: 'k8s_events',
  toolset: 'k8s',
  title: 'Kubernetes events',
  description:
    'Recent events, oldest first (newest at the end): scheduling, image pulls, probe failures, node NotReady, and OVN-Kubernetes events such as EgressIP assignment changes. Filter by namespace, involved object, type (Warning) and grep. Example: {type:"Warning"}; {namespace:"default", involved_kind:"Pod", involved_name:"web-1"}.',
  shape: {
    namespace: nsArg(),
    involved_kind: kind('involved_kind').optional().describe('Kind of the object the event is about, e.g. Pod, Node, EgressIP.'),
    involved_name: k8sName('involved_name').optional().describe('Name of that object.'),
    type: z.enum(['Normal', 'Warning']).optional().describe('Only this event type.'),
    ...outputShape,
  },
  reads: [{ group: '', resource: 'events' }],
  async run(ctx, a) {
    const fs = [
      a.involved_name ? `involvedObject.name=${a.involved_name}` : '',
      a.involved_kind ? `involvedObject.kind=${a.involved_kind}` : '',
      a.type ? `type=${a.type}` : '',
    ]
      .filter(Boolean)
      .join(',');
    let evs = await ctx.target.list({ apiVersion: 'v1', kind: 'Event', namespace: a.namespace, fieldSelector: fs || undefined });
    evs = evs.filter(
      (e) =>
        (!a.involved_name || get(e, 'involvedObject.name') === a.involved_name) &&
        (!a.involved_kind || get(e, 'involvedObject.kind') === a.involved_kind) &&
        (!a.type || e.type === a.type),
    );
    evs.sort((x, y) => eventTime(x).localeCompare(eventTime(y)));
    const page = pageItems(evs.map(eventLine), {
      ...pageOpts(ctx, a, { unit: 'events', hints: ['type=Warning', 'involved_name=...'] }),
      preferEnd: a.offset === undefined,
    });
    return { text: `${evs.length} event(s)\n${page.text}` };
  },
});

export const k8sTools: AnyTool[] = [k8sGet, k8sList, k8sDescribe, podLogs, events];
