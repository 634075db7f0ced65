/**
 * `netharness bundle`: export a must-gather-like offline bundle from a cluster (see bundle-format.ts):
 * API objects per kind, the ovn-kubernetes pods' logs, every node's NB and SB DB (ovsdb-client
 * backup from the nbdb / sbdb containers) and the outputs of the node-scoped read tools.
 * Writes into <out>.partial-<pid> and renames at the end, so an interrupted export leaves nothing.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { UsageError } from '../harness/errors.ts';
import { execIn } from '../harness/cluster/exec.ts';
import { mapLimit } from '../harness/concurrency.ts';
import { BUNDLE_VERSION, type BundleNode, type Manifest } from './bundle-format.ts';
import { LiveTarget } from './live-target.ts';
import { ALL_TOOLS } from './tools/index.ts';
import { OVNK_NAMESPACE, type K8sObject } from './target.ts';
import { assertReadOnlyArgv } from './argv-guard.ts';

/** Kinds exported (Secrets never). */
export const EXPORT_KINDS: { kind: string; apiVersion: string }[] = [
  { kind: 'Node', apiVersion: 'v1' },
  { kind: 'Namespace', apiVersion: 'v1' },
  { kind: 'Pod', apiVersion: 'v1' },
  { kind: 'Service', apiVersion: 'v1' },
  { kind: 'Endpoints', apiVersion: 'v1' },
  { kind: 'Event', apiVersion: 'v1' },
  { kind: 'ConfigMap', apiVersion: 'v1' },
  { kind: 'EndpointSlice', apiVersion: 'discovery.k8s.io/v1' },
  { kind: 'DaemonSet', apiVersion: 'apps/v1' },
  { kind: 'Deployment', apiVersion: 'apps/v1' },
  { kind: 'NetworkPolicy', apiVersion: 'networking.k8s.io/v1' },
  { kind: 'EgressIP', apiVersion: 'k8s.ovn.org/v1' },
  { kind: 'EgressFirewall', apiVersion: 'k8s.ovn.org/v1' },
  { kind: 'EgressQoS', apiVersion: 'k8s.ovn.org/v1' },
  { kind: 'EgressService', apiVersion: 'k8s.ovn.org/v1' },
  { kind: 'NetworkAttachmentDefinition', apiVersion: 'k8s.cni.cncf.io/v1' },
  // PTP operator (the ptp toolset)
  { kind: 'PtpConfig', apiVersion: 'ptp.openshift.io/v1' },
  { kind: 'NodePtpDevice', apiVersion: 'ptp.openshift.io/v1' },
  { kind: 'PtpOperatorConfig', apiVersion: 'ptp.openshift.io/v1' },
];

/** Node-scoped tool calls whose output is captured per node (OVN DB tools are served from the DB files instead). */
export const CAPTURED_CALLS: [string, Record<string, unknown>][] = [
  ['ovs_vsctl_show', {}],
  ['ovs_list_bridges', {}],
  ['ovs_list_ports', { bridge: 'br-int' }],
  ['ovs_list_ports', { bridge: 'br-ex' }],
  ['ovs_ofctl_dump_flows', { bridge: 'br-int' }],
  ['ovs_ofctl_dump_flows', { bridge: 'br-ex' }],
  ['ovs_dpctl_dump_flows', {}],
  ['ovs_dpctl_dump_conntrack', {}],
  ['ovn_ct_zone_list', {}],
  ['kernel_ip_route', {}],
  ['kernel_ip_route', { table: 'all' }],
  ['kernel_ip_addr', {}],
  ['kernel_ip_rule', {}],
  ['kernel_ip_neigh', {}],
  ['kernel_nft_ruleset', {}],
  ['kernel_iptables_save', {}],
  ['kernel_iptables_save', { ipv6: true }],
  ['kernel_conntrack', {}],
  // PTP (linuxptp-daemon pod of the node; fails harmlessly, recorded as such, on nodes without PTP)
  ['ptp_metrics', {}],
  ['ptp_config_file', { file: 'ptp4l.0.config' }],
  ['ptp_config_file', { file: 'phc2sys.0.config' }],
  ['ptp_pmc', { dataset: 'PARENT_DATA_SET' }],
  ['ptp_pmc', { dataset: 'CURRENT_DATA_SET' }],
  ['ptp_pmc', { dataset: 'TIME_STATUS_NP' }],
  ['ptp_pmc', { dataset: 'PORT_DATA_SET' }],
  ['ptp_current_state', { resource: 'lock-state' }],
  ['ptp_current_state', { resource: 'os-clock-sync-state' }],
];

/**
 * The DB backup: a constant script (no user input), because the socket directory differs between
 * OpenShift (/var/run/ovn) and other deployments that set OVN_RUNDIR.
 */
export const backupArgv = (db: 'nb' | 'sb'): string[] => [
  'sh',
  '-c',
  `exec ovsdb-client backup unix:"\${OVN_RUNDIR:-/var/run/ovn}"/ovn${db}_db.sock ${db === 'nb' ? 'OVN_Northbound' : 'OVN_Southbound'}`,
];

export interface ExportOptions {
  kubeconfig?: string;
  context?: string;
  out: string;
  /** Namespaces whose pods' logs are exported (default: openshift-ovn-kubernetes and openshift-ptp). */
  logNamespaces?: string[];
  tailLines?: number;
  concurrency?: number;
  force?: boolean;
  progress?: (line: string) => void;
  signal?: AbortSignal;
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');

export function partialDir(out: string): string {
  return `${resolve(out)}.partial-${process.pid}`;
}

export async function exportBundle(o: ExportOptions): Promise<Manifest> {
  const t0 = Date.now();
  const out = resolve(o.out);
  const progress = o.progress ?? (() => undefined);
  if (existsSync(out) && readdirSync(out).length > 0) {
    if (!o.force) throw new UsageError(`--out: ${out} exists and is not empty`, 'pass a new directory, or --force to replace it');
  }
  const target = LiveTarget.connect({ kubeconfig: o.kubeconfig, context: o.context });
  const tmp = partialDir(out);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(join(tmp, 'objects'), { recursive: true });
  const manifest: Manifest = {
    version: BUNDLE_VERSION,
    tool: 'netharness',
    createdAt: new Date().toISOString(),
    source: target.cluster.server,
    kinds: [],
    logs: [],
    nodes: {},
    errors: [],
    durationMs: 0,
  };
  const check = () => {
    if (o.signal?.aborted) throw new Error('interrupted');
  };

  // 1. API objects.
  let pods: K8sObject[] = [];
  for (const k of EXPORT_KINDS) {
    check();
    try {
      const objs = await target.list({ apiVersion: k.apiVersion, kind: k.kind });
      for (const x of objs) if (x.metadata) delete x.metadata.managedFields;
      const file = `objects/${k.kind}.json`;
      writeFileSync(join(tmp, file), JSON.stringify(objs));
      manifest.kinds.push({ ...k, file, count: objs.length });
      if (k.kind === 'Pod') pods = objs;
      progress(`objects: ${k.kind} ${objs.length}`);
    } catch (err) {
      manifest.errors.push(`objects ${k.kind}: ${(err as Error).message}`);
      progress(`objects: ${k.kind} skipped (${(err as Error).message.slice(0, 120)})`);
    }
  }

  // 2. Logs of the ovn-kubernetes pods (and any extra namespaces).
  const logNs = new Set(o.logNamespaces?.length ? o.logNamespaces : [OVNK_NAMESPACE, 'openshift-ptp']);
  const logJobs: { ns: string; pod: string; container: string }[] = [];
  for (const p of pods) {
    const ns = p.metadata?.namespace ?? '';
    if (!logNs.has(ns)) continue;
    for (const c of (p.spec?.containers as { name: string }[] | undefined) ?? [])
      logJobs.push({ ns, pod: p.metadata?.name ?? '', container: c.name });
  }
  let logsDone = 0;
  await mapLimit(
    logJobs,
    o.concurrency ?? 4,
    async (j) => {
      try {
        const text = await target.logs({ namespace: j.ns, pod: j.pod, container: j.container, tailLines: o.tailLines ?? 20000 });
        const file = `logs/${safe(j.ns)}/${safe(j.pod)}/${safe(j.container)}.log`;
        mkdirSync(dirname(join(tmp, file)), { recursive: true });
        writeFileSync(join(tmp, file), text);
        manifest.logs.push({ namespace: j.ns, pod: j.pod, container: j.container, file, bytes: Buffer.byteLength(text) });
      } catch (err) {
        manifest.errors.push(`logs ${j.ns}/${j.pod}/${j.container}: ${(err as Error).message}`);
      }
      if (++logsDone % 10 === 0 || logsDone === logJobs.length) progress(`logs: ${logsDone}/${logJobs.length}`);
    },
    o.signal,
  );
  check();

  // 3. Per node: NB/SB DB backups and captured command outputs.
  const nodes = await target.nodes();
  let nodesDone = 0;
  await mapLimit(
    nodes,
    o.concurrency ?? 4,
    async (node) => {
      const entry: BundleNode = { commands: [] };
      manifest.nodes[node] = entry;
      const dir = `nodes/${safe(node)}`;
      mkdirSync(join(tmp, dir, 'cmd'), { recursive: true });
      let pod: string;
      try {
        pod = await target.podFor(node);
        entry.pod = pod;
      } catch (err) {
        manifest.errors.push(`node ${node}: ${(err as Error).message}`);
        return;
      }
      for (const db of ['nb', 'sb'] as const) {
        try {
          const r = await execIn(target.cluster, { namespace: OVNK_NAMESPACE, pod, container: `${db}db` }, backupArgv(db), {
            timeoutMs: 120_000,
          });
          if (r.exitCode !== 0 || !r.stdout.startsWith('OVSDB'))
            throw new Error(`exit ${r.exitCode}: ${r.stderr.trim().slice(0, 300) || r.stdout.slice(0, 100)}`);
          const file = `${dir}/${db}.db`;
          writeFileSync(join(tmp, file), r.stdout);
          if (db === 'nb') entry.nbDb = file;
          else entry.sbDb = file;
        } catch (err) {
          manifest.errors.push(`node ${node} ${db} DB backup: ${(err as Error).message}`);
        }
      }
      let n = 0;
      for (const [name, args] of CAPTURED_CALLS) {
        if (o.signal?.aborted) return;
        const tool = ALL_TOOLS.find((x) => x.name === name);
        if (!tool?.plan) continue;
        const cmd = tool.plan({ node, ...args });
        assertReadOnlyArgv(cmd.argv);
        const file = `${dir}/cmd/${n++}.txt`;
        try {
          const r = await target.nodeExec(cmd, { timeoutMs: 120_000 });
          writeFileSync(join(tmp, file), r.stdout);
          entry.commands.push({ argv: cmd.argv, container: cmd.container, file, exitCode: r.exitCode, stderr: r.stderr.slice(0, 4000) });
        } catch (err) {
          writeFileSync(join(tmp, file), '');
          entry.commands.push({
            argv: cmd.argv,
            container: cmd.container,
            file,
            exitCode: 127,
            stderr: (err as Error).message.slice(0, 4000),
          });
        }
      }
      progress(
        `nodes: ${++nodesDone}/${nodes.length} (${node}: nb ${entry.nbDb ? 'ok' : 'missing'}, sb ${entry.sbDb ? 'ok' : 'missing'}, ${entry.commands.length} commands)`,
      );
    },
    o.signal,
  );
  check();

  manifest.durationMs = Date.now() - t0;
  writeFileSync(join(tmp, 'manifest.json'), JSON.stringify(manifest, null, 1));
  if (existsSync(out)) rmSync(out, { recursive: true, force: true });
  mkdirSync(dirname(out), { recursive: true });
  renameSync(tmp, out);
  await target.close();
  return manifest;
}
