/**
 * An OpenShift must-gather directory as an offline target (`netharness mcp --bundle DIR` and the eval
 * replay's `--target bundles:DIR`): converted once into a netharness bundle (bundle-format.ts) in a temporary
 * directory and served by BundleTarget, so every tool answers the same way it does on a bundle.
 *
 * The layout read here is the one `oc adm must-gather` writes (upstream sources):
 * - the output directory holds one directory per gather image (`must-gather.local.N/<image>-sha256-.../`);
 * - `oc adm inspect` (openshift/oc pkg/cli/admin/inspect/util.go dirPathForInfo/filenameForInfo): lists at
 *   `namespaces/<ns>/<group|core>/<resource>.yaml`, objects at `namespaces/<ns>/<group>/<resource>/<name>.yaml`
 *   and `cluster-scoped-resources/<group>/<resource>/<name>.yaml`;
 * - pods (openshift/oc pkg/cli/admin/inspect/pod.go gatherPodData): `namespaces/<ns>/pods/<pod>/<pod>.yaml` and
 *   `namespaces/<ns>/pods/<pod>/<container>/<container>/logs/{current,previous}.log`, lines prefixed with an
 *   RFC 3339 timestamp (PodLogOptions.Timestamps);
 * - network logs (openshift/must-gather collection-scripts/gather_network_logs_basics): per ovnkube-node pod,
 *   `oc cp .../etc/ovn/ovn{n,s}b_db.db` to `network_logs/ovnk_database_store/<pod>_{n,s}bdb`, then tarred to
 *   `network_logs/ovnk_database_store.tar.gz` (interconnect mode); the legacy (central) mode keeps the raft
 *   leader's DBs as `network_logs/leader_{n,s}bdb.gz`.
 * Secrets are never read. Clustered (raft) DB files are converted with `ovsdb-tool cluster-to-standalone`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import YAML from 'yaml';
import { UsageError } from '../harness/errors.ts';
import { BUNDLE_VERSION, type BundleNode, type Manifest } from './bundle-format.ts';
import { BundleTarget } from './bundle-target.ts';
import type { CommandOutput, K8sObject, ListQuery, LogQuery, NodeCommand, Target } from './target.ts';

const RESOURCE_DIRS = ['namespaces', 'cluster-scoped-resources'];
const OVNK_NODE_POD = /^ovnkube-node-/;

const isDir = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();

/** The directory holding namespaces/ or cluster-scoped-resources/: DIR itself or one of its image directories. */
export function mustGatherRoots(dir: string): string[] {
  const d = resolve(dir);
  if (!isDir(d)) return [];
  const has = (p: string) => RESOURCE_DIRS.some((r) => isDir(join(p, r))) || isDir(join(p, 'network_logs'));
  if (has(d)) return [d];
  return readdirSync(d)
    .map((n) => join(d, n))
    .filter((p) => isDir(p) && has(p))
    .sort();
}

export const isMustGather = (dir: string): boolean => !existsSync(join(resolve(dir), 'manifest.json')) && mustGatherRoots(dir).length > 0;

function walk(dir: string, out: string[] = []): string[] {
  if (!isDir(dir)) return out;
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (isDir(p)) walk(p, out);
    else out.push(p);
  }
  return out;
}

const TS_PREFIX = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d) /;
/** `oc adm inspect` asks for timestamps: drop them so a line reads as `kubectl logs` prints it. */
export const stripLogTimestamps = (text: string): string =>
  text
    .split('\n')
    .map((l) => l.replace(TS_PREFIX, ''))
    .join('\n');

/** The objects of one YAML file: a List's items (kind from the list when an item lacks it) or one object. */
function objectsOf(file: string): K8sObject[] {
  let doc: unknown;
  try {
    doc = YAML.parse(readFileSync(file, 'utf8'), { maxAliasCount: -1 });
  } catch {
    return []; // inspect writes some non-object files (describe output): not API objects
  }
  if (!doc || typeof doc !== 'object') return [];
  const o = doc as K8sObject & { items?: K8sObject[] };
  if (Array.isArray(o.items)) {
    const itemKind = typeof o.kind === 'string' && o.kind.endsWith('List') && o.kind !== 'List' ? o.kind.slice(0, -4) : undefined;
    return o.items.map((i) => ({ ...(itemKind ? { kind: itemKind } : {}), ...(o.apiVersion ? { apiVersion: o.apiVersion } : {}), ...i }));
  }
  return typeof o.kind === 'string' && o.metadata ? [o] : [];
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');

function isClustered(file: string): boolean {
  return spawnSync('ovsdb-tool', ['db-is-clustered', file], { stdio: 'ignore' }).status === 0;
}

/** A DB file copied into the bundle as a standalone OVSDB file (gunzipped, raft converted). */
function placeDb(src: string, out: string, rel: string): string {
  const dest = join(out, rel);
  mkdirSync(dirname(dest), { recursive: true });
  const raw = readFileSync(src);
  const data = raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw;
  if (!data.subarray(0, 16).toString('latin1').startsWith('OVSDB'))
    throw new Error(`${src} is not an OVSDB file (expected it to start with OVSDB JSON or OVSDB CLUSTER)`);
  const staged = `${dest}.in`;
  writeFileSync(staged, data);
  if (isClustered(staged)) execFileSync('ovsdb-tool', ['cluster-to-standalone', dest, staged], { stdio: ['ignore', 'ignore', 'pipe'] });
  else copyFileSync(staged, dest);
  rmSync(staged);
  return rel;
}

/** `network_logs/ovnk_database_store[.tar.gz]`: files `<pod>_nbdb` / `<pod>_sbdb` (extracted to a temp dir). */
function databaseStore(root: string, scratch: string): Map<string, string> {
  const byName = new Map<string, string>();
  const nl = join(root, 'network_logs');
  const tgz = join(nl, 'ovnk_database_store.tar.gz');
  let dir = join(nl, 'ovnk_database_store');
  if (!isDir(dir) && existsSync(tgz)) {
    const x = join(scratch, 'dbstore');
    mkdirSync(x, { recursive: true });
    const r = spawnSync('tar', ['-xzf', tgz, '-C', x], { encoding: 'utf8' });
    if (r.status !== 0) throw new UsageError(`--bundle: cannot extract ${tgz}: ${r.stderr.trim()}`);
    dir = join(x, 'ovnk_database_store');
    if (!isDir(dir)) dir = x;
  }
  for (const f of walk(dir)) byName.set(basename(f).replace(/\.gz$/, ''), f);
  return byName;
}

export interface ConvertResult {
  manifest: Manifest;
  /** what could not be used, with the reason (also in manifest.errors) */
  errors: string[];
}

/** Convert a must-gather directory into a netharness bundle at `out` (created; must not exist). */
export function convertMustGather(dir: string, out: string): ConvertResult {
  const roots = mustGatherRoots(dir);
  if (!roots.length)
    throw new UsageError(
      `--bundle: ${resolve(dir)} is neither a netharness bundle (manifest.json) nor a must-gather (namespaces/, cluster-scoped-resources/ or network_logs/)`,
    );
  mkdirSync(join(out, 'objects'), { recursive: true });
  const errors: string[] = [];
  const objects = new Map<string, Map<string, K8sObject>>();
  const apiVersions = new Map<string, string>();
  const logs: Manifest['logs'] = [];
  for (const root of roots) {
    for (const top of RESOURCE_DIRS) {
      for (const file of walk(join(root, top))) {
        const rel = relative(root, file).split(sep);
        // namespaces/<ns>/pods/<pod>/<container>/<container>/logs/current.log
        if (rel[0] === 'namespaces' && rel[2] === 'pods' && rel[6] === 'logs' && rel.length === 8) {
          const kind = rel[7] === 'current.log' ? 'current' : rel[7] === 'previous.log' ? 'previous' : undefined;
          if (!kind) continue;
          const [ns, pod, container] = [rel[1]!, rel[3]!, rel[4]!];
          const text = stripLogTimestamps(readFileSync(file, 'utf8'));
          const f = `logs/${safe(ns)}/${safe(pod)}/${safe(container)}${kind === 'previous' ? '.previous' : ''}.log`;
          mkdirSync(dirname(join(out, f)), { recursive: true });
          writeFileSync(join(out, f), text);
          logs.push({
            namespace: ns,
            pod,
            container,
            file: f,
            bytes: Buffer.byteLength(text),
            ...(kind === 'previous' ? { previous: true } : {}),
          });
          continue;
        }
        if (!/\.ya?ml$/.test(file)) continue;
        for (const o of objectsOf(file)) {
          const kind = o.kind!;
          if (kind === 'Secret' || kind === 'SecretList') continue;
          if (o.apiVersion && !apiVersions.has(kind)) apiVersions.set(kind, o.apiVersion);
          const m = objects.get(kind) ?? new Map<string, K8sObject>();
          objects.set(kind, m);
          m.set(`${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`, o);
        }
      }
    }
  }
  const kinds: Manifest['kinds'] = [];
  for (const [kind, m] of [...objects].sort(([a], [b]) => a.localeCompare(b))) {
    const file = `objects/${safe(kind)}.json`;
    const list = [...m.values()];
    writeFileSync(join(out, file), JSON.stringify(list));
    kinds.push({ kind, apiVersion: apiVersions.get(kind) ?? 'v1', file, count: list.length });
  }

  // nodes: every Node object, the DBs of its ovnkube-node pod (interconnect) or the leader's (legacy)
  const nodes: Record<string, BundleNode> = {};
  const nodeNames = [...(objects.get('Node')?.values() ?? [])].map((n) => n.metadata?.name).filter((n): n is string => !!n);
  const pods = [...(objects.get('Pod')?.values() ?? [])];
  const scratch = mkdtempSync(join(tmpdir(), 'nh-mg-'));
  try {
    const store = new Map<string, string>();
    for (const root of roots) for (const [k, v] of databaseStore(root, scratch)) store.set(k, v);
    const leader = (db: 'nb' | 'sb') =>
      roots
        .map((r) => [join(r, 'network_logs', `leader_${db}db.gz`), join(r, 'network_logs', `leader_${db}db`)])
        .flat()
        .find(existsSync);
    for (const node of nodeNames.sort()) {
      const pod = pods.find((p) => OVNK_NODE_POD.test(p.metadata?.name ?? '') && (p.spec as { nodeName?: string })?.nodeName === node)
        ?.metadata?.name;
      const entry: BundleNode = { ...(pod ? { pod } : {}), commands: [] };
      for (const db of ['nb', 'sb'] as const) {
        const src = (pod ? store.get(`${pod}_${db}db`) : undefined) ?? leader(db);
        if (!src) {
          errors.push(
            `node ${node}: no ${db.toUpperCase()} DB in network_logs (${pod ? `expected ${pod}_${db}db` : 'no ovnkube-node pod on it'})`,
          );
          continue;
        }
        try {
          const rel = placeDb(src, out, `nodes/${safe(node)}/${db}.db`);
          if (db === 'nb') entry.nbDb = rel;
          else entry.sbDb = rel;
        } catch (err) {
          errors.push(`node ${node} ${db.toUpperCase()} DB: ${(err as Error).message}`);
        }
      }
      nodes[node] = entry;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  const manifest: Manifest = {
    version: BUNDLE_VERSION,
    tool: 'netharness',
    createdAt: new Date().toISOString(),
    source: `must-gather ${resolve(dir)}`,
    kinds,
    logs,
    nodes,
    errors: [...errors, 'node commands (ovs-ofctl, ip route, ...) are not in a must-gather: only the OVN NB/SB tools answer per node'],
    durationMs: 0,
  };
  writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest, null, 1));
  return { manifest, errors };
}

/** The must-gather served as a bundle: converted into a temporary directory, removed on close. */
export class MustGatherTarget implements Target {
  readonly mode = 'bundle' as const;
  readonly description: string;
  private constructor(
    private readonly inner: BundleTarget,
    private readonly tmp: string,
    readonly errors: string[],
    dir: string,
  ) {
    this.description = `must-gather ${resolve(dir)} (${Object.keys(inner.manifest.nodes).length} nodes, ${inner.manifest.kinds.length} kinds)`;
  }

  static open(dir: string): MustGatherTarget {
    const tmp = mkdtempSync(join(tmpdir(), 'nh-mustgather-'));
    try {
      const { errors } = convertMustGather(dir, join(tmp, 'bundle'));
      return new MustGatherTarget(BundleTarget.open(join(tmp, 'bundle')), tmp, errors, dir);
    } catch (err) {
      rmSync(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  list = (q: ListQuery): Promise<K8sObject[]> => this.inner.list(q);
  get = (apiVersion: string, kind: string, name: string, namespace?: string): Promise<K8sObject | undefined> =>
    this.inner.get(apiVersion, kind, name, namespace);
  logs = (q: LogQuery): Promise<string> => this.inner.logs(q);
  nodeExec = (cmd: NodeCommand, opts?: { timeoutMs?: number }): Promise<CommandOutput> => this.inner.nodeExec(cmd, opts);
  nodes = (): Promise<string[]> => this.inner.nodes();
  async close(): Promise<void> {
    await this.inner.close();
    rmSync(this.tmp, { recursive: true, force: true });
  }
}
