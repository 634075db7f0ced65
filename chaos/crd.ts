/**
 * The CustomResourceDefinitions of the chaos kinds and the Schedule, derived from the registry
 * (chaos/kinds/). The embedded cluster serves them from sim/api/crds/chaos-mesh.org.yaml, which is
 * generated from here (`npx tsx harness/chaos/docs.ts --write`; a test fails when it drifts).
 * Schemas are loose on purpose (x-kubernetes-preserve-unknown-fields): upstream manifests carry many
 * optional fields; the webhook-style validation (chaos/model.ts) is the strict part.
 * Field facts: https://github.com/chaos-mesh/chaos-mesh config/crd/bases/chaos-mesh.org_*.yaml, api/v1alpha1/*_types.go.
 */
import { stringify } from 'yaml';
import type { PrinterColumn } from './kind.ts';
import { CHAOS_GROUP, CHAOS_KIND_DEFS, CHAOS_VERSION, SCHEDULE_RESOURCE } from './model.ts';
import { SCHEDULE_CRD } from './schedule.ts';

interface CrdInput {
  kind: string;
  plural: string;
  crd: { required: string[]; properties: Record<string, unknown>; printerColumns: PrinterColumn[] };
}

function crd({ kind, plural, crd: c }: CrdInput): Record<string, unknown> {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${CHAOS_GROUP}` },
    spec: {
      group: CHAOS_GROUP,
      scope: 'Namespaced',
      names: { plural, singular: kind === 'Schedule' ? 'schedule' : plural, kind, listKind: `${kind}List`, categories: ['chaos-mesh'] },
      versions: [
        {
          name: CHAOS_VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: c.printerColumns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              properties: {
                apiVersion: { type: 'string' },
                kind: { type: 'string' },
                metadata: { type: 'object' },
                spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, required: c.required, properties: c.properties },
                status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
              },
            },
          },
        },
      ],
    },
  };
}

/** Every chaos CRD: the kinds in registry order, then the Schedule. */
export function chaosCrds(): Record<string, unknown>[] {
  return [
    ...Object.values(CHAOS_KIND_DEFS).map((d) => crd({ kind: d.kind, plural: d.resource, crd: d.crd })),
    crd({ kind: 'Schedule', plural: SCHEDULE_RESOURCE, crd: SCHEDULE_CRD }),
  ];
}

/** sim/api/crds/chaos-mesh.org.yaml */
export function renderChaosCrdsYaml(): string {
  const head = [
    '# Chaos Mesh v2 kinds (chaos-mesh.org/v1alpha1), schemas loose enough for upstream example manifests.',
    '# Generated from the chaos kinds (chaos/kinds/*.ts, chaos/crd.ts): npx tsx harness/chaos/docs.ts --write',
    '# Field facts: upstream CRDs in https://github.com/chaos-mesh/chaos-mesh (config/crd/bases/chaos-mesh.org_*.yaml, api/v1alpha1/*_types.go).',
  ];
  return `${head.join('\n')}\n${chaosCrds()
    .map((o) => `---\n${stringify(o, { lineWidth: 0 })}`)
    .join('')}`;
}
