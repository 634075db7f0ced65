/**
 * meta.k8s.io/v1 Table rendering for `kubectl get`: the columns kubectl users know per kind
 * (wide columns are priority 1), CRD additionalPrinterColumns through JSONPath, NAME/AGE otherwise.
 * Cells are computed server-side like the apiserver's printers (AGE is a human duration).
 */
import type { KubeObject } from '../types.ts';
import type { PrinterColumn, ResourceType } from './resources.ts';
import { evalJsonPath } from './jsonpath.ts';

export interface ColumnDef {
  name: string;
  type: string;
  format: string;
  description: string;
  priority: number;
}

type Cell = string | number | boolean | null;
type Obj = Record<string, unknown>;
type Row = { cells: Cell[]; object?: unknown };
type Printer = { columns: ColumnDef[]; row: (o: KubeObject, now: number) => Cell[] };

const col = (name: string, type = 'string', priority = 0, format = ''): ColumnDef => ({
  name,
  type,
  format,
  description: `${name} column`,
  priority,
});
const NAME = col('Name', 'string', 0, 'name');
const AGE = col('Age', 'string');

/** k8s.io/apimachinery/pkg/util/duration.HumanDuration */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8) return days % 365 === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

function age(o: KubeObject, now: number): string {
  const ts = o.metadata.creationTimestamp;
  return ts ? humanDuration(now - Date.parse(ts)) : '<unknown>';
}

const g = (o: unknown, ...path: string[]): unknown => {
  let cur = o;
  for (const p of path) cur = cur && typeof cur === 'object' ? (cur as Obj)[p] : undefined;
  return cur;
};
const num = (v: unknown): number => (typeof v === 'number' ? v : 0);
const arr = (v: unknown): Obj[] => (Array.isArray(v) ? (v as Obj[]) : []);
const none = (s: string | undefined): string => (s ? s : '<none>');

function containersAndImages(spec: unknown): [string, string] {
  const cs = arr(g(spec, 'containers'));
  return [cs.map((c) => String(c.name)).join(','), cs.map((c) => String(c.image)).join(',')];
}

function selectorString(sel: unknown): string {
  const ml = g(sel, 'matchLabels') as Record<string, string> | undefined;
  const parts = Object.entries(ml ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of arr(g(sel, 'matchExpressions'))) parts.push(`${e.key} ${String(e.operator).toLowerCase()} (${arr(e.values).join(',')})`);
  return none(parts.join(','));
}

function podStatus(o: KubeObject): string {
  let reason = (g(o, 'status', 'reason') as string) || (g(o, 'status', 'phase') as string) || 'Unknown';
  const inits = arr(g(o, 'status', 'initContainerStatuses'));
  for (let i = 0; i < inits.length; i++) {
    const st = inits[i].state as Obj | undefined;
    const term = st?.terminated as Obj | undefined;
    if (term && term.exitCode === 0) continue;
    if (term) reason = term.reason ? `Init:${term.reason}` : `Init:ExitCode:${term.exitCode}`;
    else if ((st?.waiting as Obj | undefined)?.reason && (st?.waiting as Obj).reason !== 'PodInitializing')
      reason = `Init:${(st?.waiting as Obj).reason}`;
    else reason = `Init:${i}/${arr(g(o, 'spec', 'initContainers')).length}`;
    break;
  }
  for (const cs of arr(g(o, 'status', 'containerStatuses'))) {
    const st = cs.state as Obj | undefined;
    const w = st?.waiting as Obj | undefined;
    const t = st?.terminated as Obj | undefined;
    if (w?.reason) reason = String(w.reason);
    else if (t?.reason) reason = String(t.reason);
    else if (t) reason = t.signal ? `Signal:${t.signal}` : `ExitCode:${t.exitCode}`;
  }
  if (o.metadata.deletionTimestamp) reason = g(o, 'status', 'reason') === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

function nodeRoles(o: KubeObject): string {
  const roles: string[] = [];
  for (const k of Object.keys(o.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/')) roles.push(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role') roles.push(String(o.metadata.labels?.[k]));
  }
  return none(roles.sort().join(','));
}

function nodeStatus(o: KubeObject): string {
  const ready = arr(g(o, 'status', 'conditions')).find((c) => c.type === 'Ready');
  // kubectl's node printer: Ready=True is Ready, any other Ready status (False or Unknown) is NotReady.
  let s = !ready ? 'Unknown' : ready.status === 'True' ? 'Ready' : 'NotReady';
  if (g(o, 'spec', 'unschedulable')) s += ',SchedulingDisabled';
  return s;
}

function addr(o: KubeObject, type: string): string {
  return none(
    arr(g(o, 'status', 'addresses'))
      .filter((a) => a.type === type)
      .map((a) => String(a.address))
      .join(','),
  );
}

function servicePorts(o: KubeObject): string {
  const ps = arr(g(o, 'spec', 'ports'));
  if (!ps.length) return '<none>';
  return ps.map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',');
}

const PRINTERS: Record<string, Printer> = {
  Node: {
    columns: [
      NAME,
      col('Status'),
      col('Roles'),
      AGE,
      col('Version'),
      col('Internal-IP', 'string', 1),
      col('External-IP', 'string', 1),
      col('OS-Image', 'string', 1),
      col('Kernel-Version', 'string', 1),
      col('Container-Runtime', 'string', 1),
    ],
    row: (o, now) => [
      o.metadata.name,
      nodeStatus(o),
      nodeRoles(o),
      age(o, now),
      String(g(o, 'status', 'nodeInfo', 'kubeletVersion') ?? ''),
      addr(o, 'InternalIP'),
      addr(o, 'ExternalIP'),
      String(g(o, 'status', 'nodeInfo', 'osImage') ?? '<unknown>'),
      String(g(o, 'status', 'nodeInfo', 'kernelVersion') ?? '<unknown>'),
      String(g(o, 'status', 'nodeInfo', 'containerRuntimeVersion') ?? '<unknown>'),
    ],
  },
  Pod: {
    columns: [
      NAME,
      col('Ready'),
      col('Status'),
      col('Restarts', 'string'),
      AGE,
      col('IP', 'string', 1),
      col('Node', 'string', 1),
      col('Nominated Node', 'string', 1),
      col('Readiness Gates', 'string', 1),
    ],
    row: (o, now) => {
      const total = arr(g(o, 'spec', 'containers')).length;
      const statuses = arr(g(o, 'status', 'containerStatuses'));
      const ready = statuses.filter((c) => c.ready === true).length;
      const restarts = statuses.reduce((n, c) => n + num(c.restartCount), 0);
      const gates = arr(g(o, 'spec', 'readinessGates'));
      return [
        o.metadata.name,
        `${ready}/${total}`,
        podStatus(o),
        String(restarts),
        age(o, now),
        none(g(o, 'status', 'podIP') as string),
        none(g(o, 'spec', 'nodeName') as string),
        none(g(o, 'status', 'nominatedNodeName') as string),
        gates.length ? `0/${gates.length}` : '<none>',
      ];
    },
  },
  Deployment: {
    columns: [
      NAME,
      col('Ready'),
      col('Up-to-date', 'integer'),
      col('Available', 'integer'),
      AGE,
      col('Containers', 'string', 1),
      col('Images', 'string', 1),
      col('Selector', 'string', 1),
    ],
    row: (o, now) => {
      const [c, i] = containersAndImages(g(o, 'spec', 'template', 'spec'));
      return [
        o.metadata.name,
        `${num(g(o, 'status', 'readyReplicas'))}/${num(g(o, 'spec', 'replicas'))}`,
        num(g(o, 'status', 'updatedReplicas')),
        num(g(o, 'status', 'availableReplicas')),
        age(o, now),
        c,
        i,
        selectorString(g(o, 'spec', 'selector')),
      ];
    },
  },
  ReplicaSet: {
    columns: [
      NAME,
      col('Desired', 'integer'),
      col('Current', 'integer'),
      col('Ready', 'integer'),
      AGE,
      col('Containers', 'string', 1),
      col('Images', 'string', 1),
      col('Selector', 'string', 1),
    ],
    row: (o, now) => {
      const [c, i] = containersAndImages(g(o, 'spec', 'template', 'spec'));
      return [
        o.metadata.name,
        num(g(o, 'spec', 'replicas')),
        num(g(o, 'status', 'replicas')),
        num(g(o, 'status', 'readyReplicas')),
        age(o, now),
        c,
        i,
        selectorString(g(o, 'spec', 'selector')),
      ];
    },
  },
  DaemonSet: {
    columns: [
      NAME,
      col('Desired', 'integer'),
      col('Current', 'integer'),
      col('Ready', 'integer'),
      col('Up-to-date', 'integer'),
      col('Available', 'integer'),
      col('Node Selector'),
      AGE,
      col('Containers', 'string', 1),
      col('Images', 'string', 1),
      col('Selector', 'string', 1),
    ],
    row: (o, now) => {
      const [c, i] = containersAndImages(g(o, 'spec', 'template', 'spec'));
      const ns = g(o, 'spec', 'template', 'spec', 'nodeSelector') as Record<string, string> | undefined;
      return [
        o.metadata.name,
        num(g(o, 'status', 'desiredNumberScheduled')),
        num(g(o, 'status', 'currentNumberScheduled')),
        num(g(o, 'status', 'numberReady')),
        num(g(o, 'status', 'updatedNumberScheduled')),
        num(g(o, 'status', 'numberAvailable')),
        none(
          Object.entries(ns ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
        ),
        age(o, now),
        c,
        i,
        selectorString(g(o, 'spec', 'selector')),
      ];
    },
  },
  Namespace: {
    columns: [NAME, col('Status'), AGE],
    row: (o, now) => [o.metadata.name, String(g(o, 'status', 'phase') ?? ''), age(o, now)],
  },
  Service: {
    columns: [NAME, col('Type'), col('Cluster-IP'), col('External-IP'), col('Port(s)'), AGE, col('Selector', 'string', 1)],
    row: (o, now) => {
      const sel = g(o, 'spec', 'selector') as Record<string, string> | undefined;
      const ext = arr(g(o, 'status', 'loadBalancer', 'ingress'))
        .map((i) => String(i.ip ?? i.hostname))
        .concat(arr(g(o, 'spec', 'externalIPs')).map(String));
      return [
        o.metadata.name,
        String(g(o, 'spec', 'type') ?? 'ClusterIP'),
        none(g(o, 'spec', 'clusterIP') as string),
        none(ext.join(',')),
        servicePorts(o),
        age(o, now),
        none(
          Object.entries(sel ?? {})
            .map(([k, v]) => `${k}=${v}`)
            .join(','),
        ),
      ];
    },
  },
  Event: {
    columns: [
      col('Last Seen'),
      col('Type'),
      col('Reason'),
      col('Object'),
      col('Message'),
      col('Source', 'string', 1),
      col('First Seen', 'string', 1),
      col('Count', 'integer', 1),
      { ...NAME, priority: 1 },
    ],
    row: (o, now) => {
      const last = (o.lastTimestamp as string) || (o.eventTime as string) || o.metadata.creationTimestamp;
      const first = (o.firstTimestamp as string) || (o.eventTime as string) || o.metadata.creationTimestamp;
      const io = (o.involvedObject ?? {}) as Obj;
      return [
        last ? humanDuration(now - Date.parse(last)) : '<unknown>',
        String(o.type ?? ''),
        String(o.reason ?? ''),
        `${String(io.kind ?? '').toLowerCase()}/${io.name ?? ''}`,
        String(o.message ?? ''),
        String(g(o, 'source', 'component') ?? ''),
        first ? humanDuration(now - Date.parse(first)) : '<unknown>',
        num(o.count) || 1,
        o.metadata.name,
      ];
    },
  },
  ConfigMap: {
    columns: [NAME, col('Data', 'integer'), AGE],
    row: (o, now) => [
      o.metadata.name,
      Object.keys((o.data as Obj | undefined) ?? {}).length + Object.keys((o.binaryData as Obj | undefined) ?? {}).length,
      age(o, now),
    ],
  },
  Secret: {
    columns: [NAME, col('Type'), col('Data', 'integer'), AGE],
    row: (o, now) => [o.metadata.name, String(o.type ?? 'Opaque'), Object.keys((o.data as Obj | undefined) ?? {}).length, age(o, now)],
  },
  CustomResourceDefinition: {
    columns: [NAME, col('Created At', 'date')],
    row: (o) => [o.metadata.name, o.metadata.creationTimestamp ?? ''],
  },
  ServiceAccount: {
    columns: [NAME, col('Secrets', 'integer'), AGE],
    row: (o, now) => [o.metadata.name, arr(o.secrets).length, age(o, now)],
  },
  Endpoints: {
    columns: [NAME, col('Endpoints'), AGE],
    row: (o, now) => {
      const eps: string[] = [];
      for (const s of arr(o.subsets))
        for (const a of arr(s.addresses))
          for (const p of arr(s.ports).length ? arr(s.ports) : [{}]) eps.push(p.port ? `${a.ip}:${p.port}` : String(a.ip));
      return [o.metadata.name, none(eps.slice(0, 3).join(',') + (eps.length > 3 ? ` + ${eps.length - 3} more...` : '')), age(o, now)];
    },
  },
};

const DEFAULT: Printer = { columns: [NAME, AGE], row: (o, now) => [o.metadata.name, age(o, now)] };

function crdPrinter(cols: PrinterColumn[]): Printer {
  const defs = cols.map((c) => ({
    name: c.name,
    type: c.type,
    format: c.format ?? '',
    description: c.description ?? '',
    priority: c.priority ?? 0,
  }));
  return {
    columns: [NAME, ...defs],
    row: (o, now) => [
      o.metadata.name,
      ...cols.map((c): Cell => {
        if (c.jsonPath === '.metadata.creationTimestamp' && c.type === 'date') return age(o, now);
        let vals: unknown[];
        try {
          vals = evalJsonPath(o, c.jsonPath);
        } catch (_e) {
          return null;
        }
        // Like apiextensions-apiserver's table convertor: only the first result prints.
        if (vals.length === 0 || vals[0] === null || vals[0] === undefined) return null;
        const v = vals[0];
        if (c.type === 'date' && typeof v === 'string') return humanDuration(now - Date.parse(v));
        if (c.type === 'string' && typeof v !== 'string') return typeof v === 'object' ? JSON.stringify(v) : String(v);
        return typeof v === 'object' ? JSON.stringify(v) : (v as Cell);
      }),
    ],
  };
}

export function printerFor(t: ResourceType): Printer {
  if (t.printerColumns) return t.printerColumns.length ? crdPrinter(t.printerColumns) : DEFAULT;
  if (t.schema) return DEFAULT;
  return PRINTERS[t.kind] ?? DEFAULT;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

function rowObject(o: KubeObject, include: IncludeObject): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export function toRows(t: ResourceType, objs: KubeObject[], include: IncludeObject): Row[] {
  const p = printerFor(t);
  const now = Date.now();
  return objs.map((o) => {
    const r: Row = { cells: p.row(o, now) };
    const obj = rowObject(o, include);
    if (obj !== undefined) r.object = obj;
    return r;
  });
}

export function toTable(
  t: ResourceType,
  objs: KubeObject[],
  include: IncludeObject,
  meta: { resourceVersion?: string; continue?: string; remainingItemCount?: number },
  withColumns = true,
): Record<string, unknown> {
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: meta,
    columnDefinitions: withColumns ? printerFor(t).columns : null,
    rows: toRows(t, objs, include),
  };
}
