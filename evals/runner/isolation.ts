/**
 * Nothing the agent reaches may name the fault. The embedded cluster keeps its fault library in ConfigMaps
 * of namespace `netharness` (the switch and the catalogue), and its read-only identity (context
 * netharness-sim-readonly, a ServiceAccount bound to a read-only ClusterRole) may read every ConfigMap. For
 * the run, the runner narrows that identity: its ClusterRole loses configmaps, and a RoleBinding in every
 * other namespace gives them back there. The role is restored when the run ends. A live cluster has no fault
 * library (its ConfigMap is inert), so this is done only where the identity exists.
 */
import * as k8s from '@kubernetes/client-node';
import { httpStatusOf, type Cluster } from '../../harness/cluster/connect.ts';
import { describeApiError } from '../../harness/cluster/exec.ts';
import { InfraError } from '../../harness/errors.ts';
import { FAULTS_NAMESPACE } from '../../harness/scenario-kit/egressip.ts';
import { discoverResources } from './snapshot.ts';

export const CONFIGMAP_ROLE = 'netharness-eval-configmaps';
const LABEL = { 'app.kubernetes.io/managed-by': 'netharness' };
const READ = ['get', 'list', 'watch'];

export interface Isolation {
  restore(): Promise<void>;
}

/** Resource names per API group (for expanding a '*'), without configmaps and secrets. */
async function resourceNames(cluster: Cluster): Promise<Map<string, string[]>> {
  const byGroup = new Map<string, string[]>();
  for (const r of await discoverResources(cluster, { all: true })) {
    const g = r.groupVersion.includes('/') ? r.groupVersion.split('/')[0]! : '';
    if (g === '' && (r.resource === 'configmaps' || r.resource === 'secrets')) continue;
    byGroup.set(g, [...(byGroup.get(g) ?? []), r.resource]);
  }
  byGroup.set('', [...new Set([...(byGroup.get('') ?? []), 'pods/log'])]);
  return byGroup;
}

/** A role's rules with every read of core configmaps taken out ('*' expanded from discovery). */
export function withoutConfigMaps(rules: k8s.V1PolicyRule[], names: Map<string, string[]>): k8s.V1PolicyRule[] {
  const out: k8s.V1PolicyRule[] = [];
  for (const r of rules) {
    const groups = r.apiGroups ?? [];
    const core = groups.includes('') || groups.includes('*');
    const reads = (r.verbs ?? []).some((v) => READ.includes(v) || v === '*');
    const res = r.resources ?? [];
    if (r.nonResourceURLs || !core || !reads || r.resourceNames?.length) {
      out.push(r);
      continue;
    }
    if (res.includes('*')) {
      const targets = groups.includes('*') ? [...names.keys()] : [''];
      for (const g of targets) out.push({ ...r, apiGroups: [g], resources: [...(names.get(g) ?? [])].sort() });
    } else if (res.includes('configmaps')) {
      const rest = res.filter((x) => x !== 'configmaps');
      if (rest.length) out.push({ ...r, resources: rest });
    } else out.push(r);
  }
  return out;
}

const grantsConfigMaps = (rules: k8s.V1PolicyRule[]): boolean =>
  rules.some(
    (r) =>
      !r.nonResourceURLs &&
      ((r.apiGroups ?? []).includes('') || (r.apiGroups ?? []).includes('*')) &&
      ((r.resources ?? []).includes('configmaps') || (r.resources ?? []).includes('*')) &&
      (r.verbs ?? []).some((v) => READ.includes(v) || v === '*'),
  );

const ignore409 = (err: unknown): void => {
  if (httpStatusOf(err) !== 409) throw err;
};

/**
 * Narrow the read-only service-account identities of the embedded cluster for the run (the ClusterRoles
 * bound to ServiceAccounts, but cluster-admin and system:*): no configmaps cluster-wide, configmaps again
 * in every namespace but the fault library's. Returns how to undo it; undefined when nothing needed it.
 */
export async function hideFaultLibrary(cluster: Cluster, log: (l: string) => void): Promise<Isolation | undefined> {
  const rbac = cluster.kc.makeApiClient(k8s.RbacAuthorizationV1Api);
  const crbs = (await rbac.listClusterRoleBinding()).items.filter(
    (b) =>
      b.roleRef.kind === 'ClusterRole' &&
      b.roleRef.name !== 'cluster-admin' &&
      !b.roleRef.name.startsWith('system:') &&
      (b.subjects ?? []).some((x) => x.kind === 'ServiceAccount'),
  );
  const roles: k8s.V1ClusterRole[] = [];
  for (const name of new Set(crbs.map((b) => b.roleRef.name))) {
    const r = await rbac.readClusterRole({ name }).catch(() => undefined);
    if (r && grantsConfigMaps(r.rules ?? [])) roles.push(r);
  }
  if (!roles.length) return undefined;
  const subjects = crbs
    .filter((b) => roles.some((r) => r.metadata?.name === b.roleRef.name))
    .flatMap((b) => (b.subjects ?? []).filter((x) => x.kind === 'ServiceAccount'));
  const names = await resourceNames(cluster);
  const namespaces = (await cluster.core.listNamespace()).items
    .map((n) => n.metadata?.name ?? '')
    .filter((n) => n && n !== FAULTS_NAMESPACE);
  const bindings: string[] = [];
  const changed: { name: string; rules: k8s.V1PolicyRule[] }[] = [];
  const restore = async (): Promise<void> => {
    for (const c of changed)
      for (let i = 0; i < 5; i++) {
        try {
          const cur = await rbac.readClusterRole({ name: c.name });
          await rbac.replaceClusterRole({ name: c.name, body: { ...cur, rules: c.rules } });
          break;
        } catch (err) {
          if (httpStatusOf(err) !== 409) throw new InfraError(`restore ClusterRole ${c.name}: ${describeApiError(err)}`);
        }
      }
    for (const ns of bindings) await rbac.deleteNamespacedRoleBinding({ namespace: ns, name: CONFIGMAP_ROLE }).catch(() => undefined);
    await rbac.deleteClusterRole({ name: CONFIGMAP_ROLE }).catch(() => undefined);
  };
  try {
    await rbac
      .createClusterRole({
        body: { metadata: { name: CONFIGMAP_ROLE, labels: LABEL }, rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: READ }] },
      })
      .catch(ignore409);
    for (const ns of namespaces) {
      await rbac
        .createNamespacedRoleBinding({
          namespace: ns,
          body: {
            metadata: { name: CONFIGMAP_ROLE, namespace: ns, labels: LABEL },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: CONFIGMAP_ROLE },
            subjects,
          },
        })
        .catch(ignore409);
      bindings.push(ns);
    }
    for (const role of roles) {
      const name = role.metadata?.name ?? '';
      await rbac.replaceClusterRole({ name, body: { ...role, rules: withoutConfigMaps(role.rules ?? [], names) } });
      changed.push({ name, rules: role.rules ?? [] });
    }
  } catch (err) {
    await restore().catch(() => undefined);
    throw new InfraError(`narrowing the read-only identity: ${describeApiError(err)}`);
  }
  log(
    `the agent's identity (${roles.map((r) => r.metadata?.name).join(', ')}) cannot read ConfigMaps in namespace ${FAULTS_NAMESPACE} during the run`,
  );
  return { restore };
}
