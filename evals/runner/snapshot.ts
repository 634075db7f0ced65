/**
 * Snapshots for the safety gate (evals/scoring/types.ts Snapshot): every listable API object (found by
 * discovery, as `kubectl api-resources` does) and, for every node, its OVN NB and SB databases and its
 * Open_vSwitch database, read with `ovsdb-client dump --format=json` through the node's ovnkube-node pod
 * (containers nbdb, sbdb, ovn-controller). Taken right before the agent starts and right after it answers;
 * the safety gate compares the two.
 *
 * Objects are reduced by the gate's own normaliseApiObject (no status, resourceVersion, managedFields), the
 * kinds it ignores are not listed, OVSDB `_version` is dropped; a Secret's data is kept only as a hash (a
 * change is still seen, the value never is).
 */
import { createHash } from 'node:crypto';
import type { Cluster } from '../../harness/cluster/connect.ts';
import { describeApiError, execIn } from '../../harness/cluster/exec.ts';
import { InfraError } from '../../harness/errors.ts';
import { getJson, mapLimit, ovnkubeNodePods, OVN_NAMESPACE } from '../../harness/checks/egressip/collect.ts';
import { decodeCell } from '../../harness/checks/egressip/ovsdb-json.ts';
import { apiKey, normaliseApiObject, SNAPSHOT_IGNORED_KINDS } from '../scoring/safety.ts';
import type { ApiObjectState, OvsdbTables, Snapshot } from '../scoring/types.ts';

/** Resources not compared: they change by themselves (or are event streams). */
export const SKIPPED_RESOURCES = new Set(['events', 'events.events.k8s.io', 'leases.coordination.k8s.io', 'componentstatuses']);

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
  verbs: string[];
}
interface ResourceList {
  groupVersion: string;
  resources: ApiResource[];
}

export interface ListedResource {
  groupVersion: string;
  resource: string;
  kind: string;
  namespaced: boolean;
}

/** Every listable resource (preferred version of each group); without `all`, not the ones snapshots skip. */
export async function discoverResources(cluster: Cluster, o: { all?: boolean } = {}): Promise<ListedResource[]> {
  const lists: ResourceList[] = [];
  try {
    lists.push(await getJson<ResourceList>(cluster, '/api/v1'));
    const groups = await getJson<{ groups: { name: string; preferredVersion: { groupVersion: string } }[] }>(cluster, '/apis');
    const got = await mapLimit(groups.groups, 8, (g) =>
      getJson<ResourceList>(cluster, `/apis/${g.preferredVersion.groupVersion}`).catch(() => undefined),
    );
    lists.push(...got.filter((x): x is ResourceList => !!x));
  } catch (err) {
    throw new InfraError(`snapshot: API discovery failed: ${describeApiError(err)}`);
  }
  const out: ListedResource[] = [];
  for (const l of lists) {
    const group = l.groupVersion.includes('/') ? l.groupVersion.split('/')[0]! : '';
    for (const r of l.resources) {
      if (r.name.includes('/') || !r.verbs.includes('list')) continue;
      if (!o.all && (SKIPPED_RESOURCES.has(group ? `${r.name}.${group}` : r.name) || SNAPSHOT_IGNORED_KINDS.includes(r.kind))) continue;
      out.push({ groupVersion: l.groupVersion, resource: r.name, kind: r.kind, namespaced: r.namespaced });
    }
  }
  return out;
}

type RawObject = { apiVersion?: string; kind?: string; metadata?: Record<string, unknown>; [k: string]: unknown };

/** The object as the safety gate compares it (normaliseApiObject); a Secret's data only as a hash. */
export function objectState(o: RawObject, apiVersion: string, kind: string): ApiObjectState {
  const { data, stringData, ...rest } = o;
  const obj =
    kind === 'Secret'
      ? {
          ...rest,
          dataSha256: createHash('sha256')
            .update(JSON.stringify({ data: data ?? null, stringData: stringData ?? null }))
            .digest('hex'),
        }
      : o;
  return normaliseApiObject({ ...obj, apiVersion, kind });
}

/** `ovsdb-client dump --format=json` output (one `{"caption": "<T> table", headings, data}` per line) -> rows by _uuid. */
export function parseOvsdbDump(text: string): OvsdbTables {
  const out: OvsdbTables = {};
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (!l.startsWith('{')) continue;
    const t = JSON.parse(l) as { caption?: string; headings: string[]; data: unknown[][] };
    const table = (t.caption ?? '').replace(/ table$/, '');
    const rows: Record<string, Record<string, unknown>> = {};
    const iu = t.headings.indexOf('_uuid');
    for (const r of t.data) {
      const row: Record<string, unknown> = {};
      t.headings.forEach((h, i) => {
        if (h !== '_uuid' && h !== '_version') row[h] = decodeCell(r[i]);
      });
      rows[String(decodeCell(r[iu]))] = row;
    }
    out[table] = rows;
  }
  return out;
}

/** The three databases of a node and where to read them (real OpenShift paths, the sim sets the env). */
export const NODE_DBS = [
  { db: 'nb', container: 'nbdb', target: '${OVN_NB_DB:-unix:/var/run/ovn/ovnnb_db.sock}', schema: 'OVN_Northbound' },
  { db: 'sb', container: 'sbdb', target: '${OVN_SB_DB:-unix:/var/run/ovn/ovnsb_db.sock}', schema: 'OVN_Southbound' },
  { db: 'ovs', container: 'ovn-controller', target: '${DB_SOCK:-unix:/var/run/openvswitch/db.sock}', schema: 'Open_vSwitch' },
] as const;

export interface SnapshotOptions {
  concurrency?: number;
  timeoutMs?: number;
  /** skip the node databases (tests of the API part; never in a trial) */
  apiOnly?: boolean;
}

export async function takeSnapshot(cluster: Cluster, o: SnapshotOptions = {}): Promise<Snapshot> {
  const concurrency = o.concurrency ?? 8;
  const timeoutMs = o.timeoutMs ?? 60_000;
  const takenAt = new Date().toISOString();
  const unreadable: string[] = [];
  const resources = await discoverResources(cluster);
  const api: Snapshot['api'] = {};
  await mapLimit(resources, concurrency, async (r) => {
    const base = r.groupVersion.includes('/') ? `/apis/${r.groupVersion}` : `/api/${r.groupVersion}`;
    try {
      const list = await getJson<{ items?: RawObject[] }>(cluster, `${base}/${r.resource}`, timeoutMs);
      for (const item of list.items ?? []) {
        const s = objectState(item, r.groupVersion, r.kind);
        api[apiKey(s)] = s;
      }
    } catch (err) {
      unreadable.push(`api ${r.groupVersion}/${r.resource}: ${describeApiError(err)}`);
    }
  });
  const nodes: Snapshot['nodes'] = {};
  if (!o.apiOnly) {
    const pods = await ovnkubeNodePods(cluster);
    const nodeList = await getJson<{ items: { metadata: { name: string } }[] }>(cluster, '/api/v1/nodes');
    for (const n of nodeList.items) if (!pods.has(n.metadata.name)) unreadable.push(`node ${n.metadata.name}: no ovnkube-node pod`);
    const jobs = [...pods].flatMap(([node, pod]) => NODE_DBS.map((d) => ({ node, pod, ...d })));
    await mapLimit(jobs, concurrency, async (j) => {
      try {
        const r = await execIn(
          cluster,
          { namespace: OVN_NAMESPACE, pod: j.pod, container: j.container },
          ['sh', '-c', `ovsdb-client dump --format=json "${j.target}" ${j.schema}`],
          { timeoutMs },
        );
        if (r.exitCode !== 0) throw new Error(`exit ${r.exitCode}: ${r.stderr.trim().slice(0, 200)}`);
        (nodes[j.node] ??= {})[j.db] = parseOvsdbDump(r.stdout);
      } catch (err) {
        unreadable.push(`node ${j.node} ${j.db}: ${(err as Error).message}`);
      }
    });
  }
  return { takenAt, api, nodes, ...(unreadable.length ? { unreadable: unreadable.sort() } : {}) };
}

/** Sizes for progress lines and measurements. */
export function snapshotSize(s: Snapshot): { objects: number; rows: number } {
  let rows = 0;
  for (const n of Object.values(s.nodes))
    for (const db of [n.nb, n.sb, n.ovs]) for (const t of Object.values(db ?? {})) rows += Object.keys(t).length;
  return { objects: Object.keys(s.api).length, rows };
}

/**
 * Drop from both snapshots what changed by itself before the agent started (`s0` -> `before`, no agent yet):
 * a fault that keeps acting (a NotReady node's pods evicted, a chaos experiment restarting pods) must not
 * read as the agent's doing. `changed` are the subjects of diffSnapshots(s0, before).
 */
export function withoutSubjects(s: Snapshot, changed: ReadonlySet<string>): Snapshot {
  if (!changed.size) return s;
  const api = Object.fromEntries(Object.entries(s.api).filter(([k]) => !changed.has(k)));
  const nodes: Snapshot['nodes'] = {};
  for (const [node, dbs] of Object.entries(s.nodes)) {
    const out: Snapshot['nodes'][string] = {};
    for (const db of ['nb', 'sb', 'ovs'] as const) {
      const tables = dbs[db];
      if (!tables) continue;
      out[db] = Object.fromEntries(
        Object.entries(tables).map(([t, rows]) => [
          t,
          Object.fromEntries(Object.entries(rows).filter(([u]) => !changed.has(`${node} ${db} ${t} ${u}`))),
        ]),
      );
    }
    nodes[node] = out;
  }
  return { ...s, api, nodes };
}
