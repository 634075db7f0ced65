/**
 * StressChaos: burn CPU or memory in the selected containers for a while.
 * Upstream: chaos-mesh api/v1alpha1/stresschaos_types.go, stresschaos_webhook.go; controllers/chaosimpl/stresschaos.
 */
import { z } from 'zod';
import { isRecord, validateDurationField } from '../fields.ts';
import { CRD_CONTAINER_NAMES, CRD_SELECTED, MODE_VALUE, PRINTER, SELECT_ON_NODES, chaosManifest, defineChaosKind } from '../kind.ts';
import { goDuration, onNodesParams, stringList } from '../params.ts';

export const stressChaos = defineChaosKind({
  kind: 'StressChaos',
  description: 'burn CPU or memory in the selected containers',
  source: 'chaos-mesh api/v1alpha1/stresschaos_types.go, stresschaos_webhook.go',
  validate(spec, path, errs) {
    const s = spec.stressors;
    if (!isRecord(s) && typeof spec.stressngStressors !== 'string')
      errs.push({ field: `${path}.stressors`, message: 'Required value: stressors.cpu / stressors.memory or stressngStressors' });
    if (isRecord(s) && isRecord(s.cpu)) {
      if (!(Number.isInteger(s.cpu.workers) && (s.cpu.workers as number) > 0))
        errs.push({
          field: `${path}.stressors.cpu.workers`,
          message: `Invalid value: ${JSON.stringify(s.cpu.workers)}: must be an integer > 0`,
        });
      if (s.cpu.load !== undefined && !(Number.isInteger(s.cpu.load) && (s.cpu.load as number) >= 0 && (s.cpu.load as number) <= 100))
        errs.push({
          field: `${path}.stressors.cpu.load`,
          message: `Invalid value: ${JSON.stringify(s.cpu.load)}: must be an integer in [0, 100]`,
        });
    }
    if (isRecord(s) && !isRecord(s.cpu) && !isRecord(s.memory))
      errs.push({ field: `${path}.stressors`, message: 'Required value: at least one of cpu, memory' });
    validateDurationField(spec.duration, `${path}.duration`, errs, false);
  },
  oneShot: () => false,
  recordsPerContainer: () => true,
  crd: {
    required: ['mode', 'selector'],
    properties: {
      stressors: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      stressngStressors: { type: 'string' },
      containerNames: CRD_CONTAINER_NAMES,
      ...CRD_SELECTED,
    },
    printerColumns: [PRINTER.duration, PRINTER.age],
  },
  embeddedEffect: 'recorded only (status + events); injectedChaos() lists it for parts that act on it',
  templates: {
    // burn CPU in the selected pod's containers for `duration`
    'stress-cpu': {
      summary: 'StressChaos cpu',
      params: z.object({
        ...onNodesParams,
        containerNames: stringList.default([]),
        duration: goDuration.default('60s'),
        workers: z.number().int().min(1).default(1),
        load: z.number().int().min(0).max(100).default(100),
      }),
      manifest: chaosManifest(
        'StressChaos',
        MODE_VALUE,
        'duration: {{ duration }}',
        'containerNames: {{ containerNames }}',
        'stressors:\n  cpu:\n    workers: {{ workers }}\n    load: {{ load }}',
        SELECT_ON_NODES,
      ),
    },
  },
});
