/**
 * Fault switches of the emulated ovnkube. The catalogue (ids, docs) is the neutral module faults/ (shared with
 * harness/ and scenarios/); this is its runtime: switched through the Kubernetes API, ConfigMap
 * `netharness-faults` in namespace `netharness`, one data key per fault id, value "on" (or a JSON object of
 * params, e.g. `{"node":"worker-1"}`); "off", "" or a missing key switch it off. Every fault is reversible:
 * when it is switched off, the next event (or the next ovnkube-controller restart, for sync-time faults)
 * heals the state as the real fix would.
 */
import { FAULTS, FAULTS_CATALOGUE_CONFIGMAP, FAULTS_CONFIGMAP, FAULTS_NAMESPACE, isFaultId, type FaultId } from '../../faults/index.ts';
import type { KubeObject, SimContext } from '../types.ts';
import { GVR } from './k8s.ts';

export { FAULTS, FAULT_IDS, FAULTS_CATALOGUE_CONFIGMAP, FAULTS_CONFIGMAP, FAULTS_NAMESPACE } from '../../faults/index.ts';
export type { FaultDef, FaultId, FaultKind } from '../../faults/index.ts';

export type FaultParams = Record<string, unknown>;

/** Parses a ConfigMap value: "on"/"true"/"1" -> {}, JSON object -> params, anything else -> off. */
export function parseFaultValue(v: string | undefined): FaultParams | undefined {
  if (v === undefined) return undefined;
  const s = v.trim();
  if (s === '' || /^(off|false|0|no)$/i.test(s)) return undefined;
  if (/^(on|true|1|yes)$/i.test(s)) return {};
  try {
    const j = JSON.parse(s) as unknown;
    if (j && typeof j === 'object' && !Array.isArray(j)) return j as FaultParams;
  } catch {
    /* fall through */
  }
  return {};
}

export function parseFaults(data: Record<string, string> | undefined): Map<string, FaultParams> {
  const out = new Map<string, FaultParams>();
  for (const [k, v] of Object.entries(data ?? {})) {
    const p = parseFaultValue(v);
    if (p) out.set(k, p);
  }
  return out;
}

/** per cluster store: the unknown keys already logged */
const WARNED = new WeakMap<object, Set<string>>();

/** Current fault switches; watches the ConfigMap when bound to a context. */
export class FaultSwitch {
  private active = new Map<string, FaultParams>();
  private readonly listeners = new Set<(changed: ReadonlySet<FaultId>) => void>();
  private unwatch: (() => void) | undefined;

  constructor(initial?: Record<string, string>) {
    if (initial) this.active = parseFaults(initial);
  }

  /** Watch (and create if missing) ConfigMap netharness/netharness-faults. */
  static bind(ctx: SimContext): FaultSwitch {
    const fs = new FaultSwitch();
    ensureFaultsConfigMap(ctx);
    // a key outside the catalogue (a typo in `kubectl patch`) switches nothing: say so once per key and cluster
    // (every part that binds a switch follows the same ConfigMap)
    const warned = WARNED.get(ctx.store) ?? new Set<string>();
    WARNED.set(ctx.store, warned);
    const follow = (data: Record<string, string> | undefined): void => {
      const next = parseFaults(data);
      for (const k of next.keys())
        if (!isFaultId(k) && !warned.has(k)) {
          warned.add(k);
          ctx.log(
            `sim/ovnkube: ${FAULTS_NAMESPACE}/${FAULTS_CONFIGMAP}: '${k}' is not a fault id and switches nothing (ids: sim/ovnkube/FAULTS.md)`,
          );
        }
      fs.set(next);
    };
    follow(ctx.store.get(GVR.configmaps, FAULTS_NAMESPACE, FAULTS_CONFIGMAP)?.data as Record<string, string> | undefined);
    fs.unwatch = ctx.store.watch(
      GVR.configmaps,
      (ev) => {
        if (ev.object.metadata.name !== FAULTS_CONFIGMAP) return;
        follow(ev.type === 'DELETED' ? undefined : (ev.object.data as Record<string, string> | undefined));
      },
      { namespace: FAULTS_NAMESPACE },
    );
    return fs;
  }

  /** Replace all switches (tests). */
  set(next: Map<string, FaultParams>): void {
    // keys outside the catalogue (a typo in the ConfigMap) switch nothing, so they change nothing
    const changed = new Set<FaultId>();
    for (const k of new Set([...this.active.keys(), ...next.keys()])) {
      if (isFaultId(k) && JSON.stringify(this.active.get(k)) !== JSON.stringify(next.get(k))) changed.add(k);
    }
    this.active = next;
    if (changed.size) for (const l of this.listeners) l(changed);
  }

  setOne(id: FaultId, value: string): void {
    const next = new Map(this.active);
    const p = parseFaultValue(value);
    if (p) next.set(id, p);
    else next.delete(id);
    this.set(next);
  }

  /** Whether a fault is on (for a node, when the fault has a node param). */
  on(id: FaultId, node?: string): boolean {
    const p = this.active.get(id);
    if (!p) return false;
    if (node !== undefined && typeof p.node === 'string' && p.node !== node) return false;
    if (node !== undefined && Array.isArray(p.nodes) && !p.nodes.includes(node)) return false;
    return true;
  }

  params(id: FaultId): FaultParams | undefined {
    return this.active.get(id);
  }

  /** The ids switched on (keys outside the catalogue switch nothing and are left out). */
  activeIds(): FaultId[] {
    return [...this.active.keys()].filter(isFaultId);
  }

  onChange(fn: (changed: ReadonlySet<FaultId>) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  stop(): void {
    this.unwatch?.();
    this.listeners.clear();
  }
}

export function ensureFaultsConfigMap(ctx: SimContext): void {
  const { store } = ctx;
  try {
    if (!store.get(GVR.namespaces, undefined, FAULTS_NAMESPACE)) {
      store.create(GVR.namespaces, {
        apiVersion: 'v1',
        kind: 'Namespace',
        metadata: { name: FAULTS_NAMESPACE, labels: { 'kubernetes.io/metadata.name': FAULTS_NAMESPACE } },
      });
    }
  } catch {
    /* raced with someone else */
  }
  try {
    const data = Object.fromEntries(FAULTS.map((f) => [f.id, JSON.stringify(f)]));
    const cur = store.get(GVR.configmaps, FAULTS_NAMESPACE, FAULTS_CATALOGUE_CONFIGMAP);
    if (!cur) {
      store.create(GVR.configmaps, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: FAULTS_CATALOGUE_CONFIGMAP,
          namespace: FAULTS_NAMESPACE,
          labels: { 'app.kubernetes.io/part-of': 'netharness' },
          annotations: {
            'netharness.io/description': `Catalogue of the faults that ${FAULTS_CONFIGMAP} switches (JSON per fault id). Read-only.`,
          },
        },
        data,
      });
    } else if (JSON.stringify(cur.data) !== JSON.stringify(data)) {
      store.mutate(GVR.configmaps, FAULTS_NAMESPACE, FAULTS_CATALOGUE_CONFIGMAP, (cm) => {
        cm.data = data;
      });
    }
  } catch {
    /* raced */
  }
  try {
    if (!store.get(GVR.configmaps, FAULTS_NAMESPACE, FAULTS_CONFIGMAP)) {
      const cm: KubeObject = {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: {
          name: FAULTS_CONFIGMAP,
          namespace: FAULTS_NAMESPACE,
          annotations: {
            'netharness.io/description':
              'Fault switches of the emulated ovnkube: one key per fault id, value "on" or JSON params. See sim/ovnkube/FAULTS.md.',
          },
        },
        data: {},
      };
      store.create(GVR.configmaps, cm);
    }
  } catch {
    /* raced */
  }
}
