/**
 * `netharness eval --capture DIR`: after a trial's gate holds, export the target as an offline bundle
 * (mcp/bundle-export.ts: objects, logs, every node's NB/SB DB, the node read-tools' outputs) with the identity
 * the agent's server uses (the embedded cluster's read-only context, narrowed so it cannot read the fault
 * library), add the previous logs of restarted containers (`kubectl logs --previous`, what an agent reads
 * on a crash loop), list the API objects again once the gate holds again, and write replay.json (case, repeat, seed, drawn targets). One directory per trial:
 * DIR/<case>--r<repeat>. A bundle that names the fault library's namespace is refused, never written.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import { FAULTS_NAMESPACE } from '../../harness/scenario-kit/egressip.ts';
import { InfraError } from '../../harness/errors.ts';
import { exportBundle } from '../../mcp/bundle-export.ts';
import type { Manifest } from '../../mcp/bundle-format.ts';
import { LiveTarget } from '../../mcp/live-target.ts';
import { OVNK_NAMESPACE, type K8sObject } from '../../mcp/target.ts';
import type { Bindings } from '../cases/targets.ts';
import { REPLAY_FILE, REPLAY_VERSION, type ReplayMeta } from './format.ts';

export interface CaptureTarget {
  kubeconfig: string;
  context?: string;
}

export interface CaptureRequest {
  caseId: string;
  repeat: number;
  seed: number;
  bindings: Bindings;
  /** wait until the trial's gate holds again (a flapping state, a crash loop, is then re-listed as the gate saw it) */
  regate?: () => Promise<unknown>;
  /** the gate's pod conditions on the listed pods: undefined when they hold, else which one did not and what was listed */
  podsHoldGate?: (pods: k8s.V1Pod[]) => string | undefined;
  signal?: AbortSignal;
  log?: (l: string) => void;
}

export const captureDirName = (caseId: string, repeat: number): string => `${caseId}--r${repeat}`;

const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');
const LOG_NAMESPACES = [OVNK_NAMESPACE, 'openshift-ptp'];

/** Previous-instance logs of every restarted container in the log namespaces, added to the bundle's manifest. */
async function addPreviousLogs(dir: string, t: CaptureTarget, manifest: Manifest): Promise<number> {
  const target = LiveTarget.connect({ kubeconfig: t.kubeconfig, context: t.context });
  let n = 0;
  try {
    const podsFile = manifest.kinds.find((k) => k.kind === 'Pod')?.file;
    const pods = podsFile ? (JSON.parse(readFileSync(join(dir, podsFile), 'utf8')) as K8sObject[]) : [];
    for (const p of pods) {
      const ns = p.metadata?.namespace ?? '';
      if (!LOG_NAMESPACES.includes(ns)) continue;
      const statuses = (
        (p.status as { containerStatuses?: { name: string; restartCount?: number }[] } | undefined)?.containerStatuses ?? []
      ).filter((s) => (s.restartCount ?? 0) > 0);
      for (const s of statuses) {
        const pod = p.metadata?.name ?? '';
        try {
          const text = await target.logs({ namespace: ns, pod, container: s.name, previous: true, tailLines: 20000 });
          const file = `logs/${safe(ns)}/${safe(pod)}/${safe(s.name)}.previous.log`;
          mkdirSync(dirname(join(dir, file)), { recursive: true });
          writeFileSync(join(dir, file), text);
          manifest.logs.push({ namespace: ns, pod, container: s.name, file, bytes: Buffer.byteLength(text), previous: true });
          n++;
        } catch (err) {
          manifest.errors.push(`previous logs ${ns}/${pod}/${s.name}: ${(err as Error).message.split('\n')[0]}`);
        }
      }
    }
  } finally {
    await target.close();
  }
  return n;
}

/** How often the pods are listed again when the listed ones no longer show the gate's state. */
export const GATE_RELISTS = 5;

/**
 * The export takes seconds (logs, every node's DBs and commands); a state that flaps (a crash-looping container
 * between restarts) may have moved on meanwhile. Once the gate holds again, the pods are listed at once and the
 * gate's pod conditions are checked on what was listed (the state can move on between the gate's read and the list):
 * if they do not hold, regate and list again. Then the other objects. So the bundle shows the pods at a moment the
 * fault was visible; never showing it is an InfraError (the trial is retried, not scored).
 */
export async function relistAtGate(
  dir: string,
  manifest: Manifest,
  list: (k: Manifest['kinds'][number]) => Promise<K8sObject[]>,
  regate: () => Promise<unknown>,
  podsHoldGate: (pods: k8s.V1Pod[]) => string | undefined,
): Promise<void> {
  const relist = async (k: Manifest['kinds'][number]) => {
    const objs = await list(k);
    for (const x of objs) if (x.metadata) delete x.metadata.managedFields;
    writeFileSync(join(dir, k.file), JSON.stringify(objs));
    k.count = objs.length;
    return objs;
  };
  const podKind = manifest.kinds.find((k) => k.kind === 'Pod');
  let missed: string | undefined;
  for (let i = 0; i < GATE_RELISTS; i++) {
    await regate();
    if (!podKind) break;
    missed = podsHoldGate((await relist(podKind)) as k8s.V1Pod[]);
    if (!missed) break;
  }
  if (missed) throw new InfraError(`capture: after ${GATE_RELISTS} tries the listed pods still did not show the gate: ${missed}`);
  for (const k of manifest.kinds) if (k !== podKind) await relist(k);
}

/** Nothing of the fault library may be in a bundle an agent reads (the identity cannot read it; proven here). */
function assertNoFaultLibrary(dir: string, manifest: Manifest): void {
  for (const k of manifest.kinds) {
    const objs = JSON.parse(readFileSync(join(dir, k.file), 'utf8')) as K8sObject[];
    const hit = objs.find((o) => o.metadata?.namespace === FAULTS_NAMESPACE && k.kind !== 'Namespace');
    if (hit) throw new InfraError(`capture: the bundle would hold ${k.kind} ${FAULTS_NAMESPACE}/${hit.metadata?.name} (the fault library)`);
  }
}

/** Export the bundle of one trial into DIR/<case>--r<repeat> (replaced if an earlier attempt wrote one). */
export async function captureTrial(root: string, t: CaptureTarget, r: CaptureRequest): Promise<string> {
  const out = join(resolve(root), captureDirName(r.caseId, r.repeat));
  const staging = `${out}.capturing`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(dirname(out), { recursive: true });
  try {
    const manifest = await exportBundle({
      kubeconfig: t.kubeconfig,
      context: t.context,
      out: staging,
      signal: r.signal,
      concurrency: 4,
    });
    if (r.regate) {
      const target = LiveTarget.connect({ kubeconfig: t.kubeconfig, context: t.context });
      try {
        const list = (k: Manifest['kinds'][number]) => target.list({ apiVersion: k.apiVersion, kind: k.kind });
        await relistAtGate(staging, manifest, list, r.regate, r.podsHoldGate ?? (() => undefined));
      } finally {
        await target.close();
      }
    }
    const previous = await addPreviousLogs(staging, t, manifest);
    assertNoFaultLibrary(staging, manifest);
    writeFileSync(join(staging, 'manifest.json'), JSON.stringify(manifest, null, 1));
    const meta: ReplayMeta = {
      version: REPLAY_VERSION,
      kind: 'netharness-replay',
      caseId: r.caseId,
      repeat: r.repeat,
      seed: r.seed,
      bindings: r.bindings,
      capturedAt: new Date().toISOString(),
      source: manifest.source,
    };
    writeFileSync(join(staging, REPLAY_FILE), `${JSON.stringify(meta, null, 2)}\n`);
    if (existsSync(out)) rmSync(out, { recursive: true, force: true });
    renameSync(staging, out);
    r.log?.(
      `  captured ${out} (${manifest.kinds.reduce((a, k) => a + k.count, 0)} objects, ${manifest.logs.length} logs incl. ${previous} previous, ${Object.keys(manifest.nodes).length} nodes)`,
    );
    return out;
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err instanceof InfraError ? err : new InfraError(`capture of ${r.caseId} #${r.repeat}: ${(err as Error).message}`);
  }
}
