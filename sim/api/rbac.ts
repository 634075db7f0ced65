/**
 * Authentication by bearer token and RBAC authorization evaluated from the stored Roles,
 * ClusterRoles and bindings (so changing a binding over the API changes what a token may do).
 * system:masters bypasses RBAC like on a real cluster.
 */
import type { KubeObject, ObjectStore } from '../types.ts';

export interface UserInfo {
  username: string;
  groups: string[];
}

export interface ResourceAttributes {
  verb: string;
  group: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name?: string;
}

export interface NonResourceAttributes {
  verb: string;
  path: string;
}

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

const RBAC = (resource: string) => ({ group: 'rbac.authorization.k8s.io', version: 'v1', resource });

function subjectMatches(subjects: unknown, user: UserInfo, bindingNs?: string): boolean {
  if (!Array.isArray(subjects)) return false;
  for (const s of subjects as Record<string, string>[]) {
    if (s.kind === 'User' && s.name === user.username) return true;
    if (s.kind === 'Group' && user.groups.includes(s.name)) return true;
    if (s.kind === 'ServiceAccount' && user.username === `system:serviceaccount:${s.namespace ?? bindingNs}:${s.name}`) return true;
  }
  return false;
}

function has(list: string[] | undefined, v: string): boolean {
  return !!list && (list.includes('*') || list.includes(v));
}

export function ruleAllows(r: PolicyRule, a: ResourceAttributes): boolean {
  if (!has(r.verbs, a.verb)) return false;
  if (!has(r.apiGroups, a.group)) return false;
  const res = r.resources ?? [];
  const full = a.subresource ? `${a.resource}/${a.subresource}` : a.resource;
  const resOk =
    res.includes('*') ||
    res.includes(full) ||
    (a.subresource ? res.includes(`*/${a.subresource}`) || res.includes(`${a.resource}/*`) : false);
  if (!resOk) return false;
  if (r.resourceNames && r.resourceNames.length) return !!a.name && r.resourceNames.includes(a.name);
  return true;
}

export function ruleAllowsNonResource(r: PolicyRule, a: NonResourceAttributes): boolean {
  if (!has(r.verbs, a.verb)) return false;
  for (const u of r.nonResourceURLs ?? []) {
    if (u === '*' || u === a.path || (u.endsWith('*') && a.path.startsWith(u.slice(0, -1)))) return true;
  }
  return false;
}

export class Authorizer {
  constructor(private store: ObjectStore) {}

  private roleRules(kind: string, name: string, ns?: string): PolicyRule[] {
    const o = kind === 'ClusterRole' ? this.store.get(RBAC('clusterroles'), undefined, name) : this.store.get(RBAC('roles'), ns, name);
    return ((o?.rules as PolicyRule[] | undefined) ?? []).filter((r) => r && Array.isArray(r.verbs));
  }

  /** Every rule that applies to the user in the namespace (cluster-wide ones included). */
  rulesFor(user: UserInfo, namespace?: string): PolicyRule[] {
    if (user.groups.includes('system:masters'))
      return [
        { verbs: ['*'], apiGroups: ['*'], resources: ['*'] },
        { verbs: ['*'], nonResourceURLs: ['*'] },
      ];
    const rules: PolicyRule[] = [];
    for (const b of this.store.list(RBAC('clusterrolebindings'))) {
      if (subjectMatches(b.subjects, user)) rules.push(...this.roleRules('ClusterRole', roleRef(b).name));
    }
    if (namespace) {
      for (const b of this.store.list(RBAC('rolebindings'), { namespace })) {
        if (!subjectMatches(b.subjects, user, namespace)) continue;
        const rr = roleRef(b);
        rules.push(...this.roleRules(rr.kind, rr.name, namespace));
      }
    }
    return rules;
  }

  allowed(user: UserInfo, a: ResourceAttributes): boolean {
    if (user.groups.includes('system:masters')) return true;
    return this.rulesFor(user, a.namespace).some((r) => ruleAllows(r, a));
  }

  allowedNonResource(user: UserInfo, a: NonResourceAttributes): boolean {
    if (user.groups.includes('system:masters')) return true;
    return this.rulesFor(user).some((r) => ruleAllowsNonResource(r, a));
  }
}

function roleRef(b: KubeObject): { kind: string; name: string } {
  const rr = (b.roleRef ?? {}) as { kind?: string; name?: string };
  return { kind: rr.kind ?? 'ClusterRole', name: rr.name ?? '' };
}

/** Bearer tokens of this cluster -> identities. */
export class TokenAuthenticator {
  private tokens = new Map<string, UserInfo>();

  add(token: string, user: UserInfo): void {
    this.tokens.set(token, user);
  }

  authenticate(authorization: string | undefined): UserInfo | undefined {
    if (!authorization) return undefined;
    const m = /^Bearer\s+(\S+)$/i.exec(authorization.trim());
    if (!m) return undefined;
    return this.tokens.get(m[1]);
  }
}

export function serviceAccountUser(namespace: string, name: string): UserInfo {
  return {
    username: `system:serviceaccount:${namespace}:${name}`,
    groups: ['system:serviceaccounts', `system:serviceaccounts:${namespace}`, 'system:authenticated'],
  };
}

/**
 * The sim's read-only identity gets exactly the role a real cluster would bind for `netharness mcp`:
 * mcp/rbac/readonly-clusterrole.yaml (its ClusterRoles cluster-wide, its Roles — pods/exec — only in their
 * namespaces), bound to `sa`. Plus what every authenticated user has on a real cluster: discovery
 * (system:discovery, kubernetes/kubernetes plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go).
 */
export function readonlyRbacObjects(
  sa: { namespace: string; name: string },
  manifest: KubeObject[],
): { gvr: ReturnType<typeof RBAC>; obj: KubeObject }[] {
  const out: { gvr: ReturnType<typeof RBAC>; obj: KubeObject }[] = [];
  const subject = { kind: 'ServiceAccount', name: sa.name, namespace: sa.namespace };
  const roleRefOf = (kind: string, name: string) => ({ apiGroup: 'rbac.authorization.k8s.io', kind, name });
  for (const o of manifest) {
    const meta = (o.metadata ?? {}) as { name?: string; namespace?: string; labels?: Record<string, string> };
    if (!meta.name) continue;
    if (o.kind === 'ClusterRole') {
      out.push({
        gvr: RBAC('clusterroles'),
        obj: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRole',
          metadata: { name: meta.name, labels: meta.labels },
          rules: o.rules,
        },
      });
      out.push({
        gvr: RBAC('clusterrolebindings'),
        obj: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'ClusterRoleBinding',
          metadata: { name: meta.name },
          roleRef: roleRefOf('ClusterRole', meta.name),
          subjects: [subject],
        },
      });
    } else if (o.kind === 'Role' && meta.namespace) {
      out.push({
        gvr: RBAC('roles'),
        obj: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'Role',
          metadata: { name: meta.name, namespace: meta.namespace },
          rules: o.rules,
        },
      });
      out.push({
        gvr: RBAC('rolebindings'),
        obj: {
          apiVersion: 'rbac.authorization.k8s.io/v1',
          kind: 'RoleBinding',
          metadata: { name: meta.name, namespace: meta.namespace },
          roleRef: roleRefOf('Role', meta.name),
          subjects: [subject],
        },
      });
    }
  }
  out.push({
    gvr: RBAC('clusterroles'),
    obj: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: 'system:discovery' },
      rules: [
        {
          verbs: ['get'],
          nonResourceURLs: [
            '/api',
            '/api/*',
            '/apis',
            '/apis/*',
            '/healthz',
            '/livez',
            '/readyz',
            '/version',
            '/version/',
            '/openapi',
            '/openapi/*',
          ],
        },
      ],
    },
  });
  out.push({
    gvr: RBAC('clusterrolebindings'),
    obj: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: 'system:discovery' },
      roleRef: roleRefOf('ClusterRole', 'system:discovery'),
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'system:authenticated' }],
    },
  });
  return out;
}
