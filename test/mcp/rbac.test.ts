/** The documented RBAC is read-only: no write verbs, no Secrets, exec only namespaced to openshift-ovn-kubernetes. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';

interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}
interface Doc {
  kind: string;
  metadata: { name: string; namespace?: string };
  rules?: Rule[];
}

describe('mcp/rbac/readonly-clusterrole.yaml', () => {
  const docs = YAML.parseAllDocuments(readFileSync(join(import.meta.dirname, '../../mcp/rbac/readonly-clusterrole.yaml'), 'utf8')).map(
    (d) => d.toJS() as Doc,
  );
  it('grants only read verbs, plus pods/exec create in openshift-ovn-kubernetes', () => {
    for (const d of docs.filter((x) => x.rules)) {
      for (const r of d.rules!) {
        expect(r.resources).not.toContain('*');
        expect(r.resources).not.toContain('secrets');
        for (const v of r.verbs) {
          if (v === 'create') {
            expect(r.resources).toEqual(['pods/exec']);
            expect(d.kind).toBe('Role');
            expect(d.metadata.namespace).toBe('openshift-ovn-kubernetes');
          } else expect(['get', 'list', 'watch']).toContain(v);
        }
      }
    }
    expect(docs.map((d) => d.kind)).toEqual(['ClusterRole', 'Role', 'ServiceAccount', 'ClusterRoleBinding', 'RoleBinding']);
  });
});
