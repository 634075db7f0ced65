/**
 * TimeChaos: shift the clock the selected containers see.
 * Upstream: chaos-mesh api/v1alpha1/timechaos_types.go, timechaos_webhook.go; controllers/chaosimpl/timechaos.
 */
import { z } from 'zod';
import { isStringList, parseGoDuration, validateDurationField } from '../fields.ts';
import { CRD_CONTAINER_NAMES, CRD_SELECTED, MODE_VALUE, PRINTER, SELECT_ON_NODES, chaosManifest, defineChaosKind } from '../kind.ts';
import { goDuration, onNodesParams, signedGoDuration, stringList } from '../params.ts';

export const timeChaos = defineChaosKind({
  kind: 'TimeChaos',
  description: 'shift the clock the selected containers see (process clocks; the node clock and PHC stay)',
  source: 'chaos-mesh api/v1alpha1/timechaos_types.go, timechaos_webhook.go',
  validate(spec, path, errs) {
    if (typeof spec.timeOffset !== 'string' || parseGoDuration(spec.timeOffset) === undefined)
      errs.push({
        field: `${path}.timeOffset`,
        message: `Invalid value: ${JSON.stringify(spec.timeOffset ?? '')}: a Go duration like "-10m100ns" is required`,
      });
    if (spec.clockIds !== undefined && !(isStringList(spec.clockIds) && spec.clockIds.every((c) => /^CLOCK_[A-Z_]+$/.test(c))))
      errs.push({ field: `${path}.clockIds`, message: 'must be a list like ["CLOCK_REALTIME"]' });
    validateDurationField(spec.duration, `${path}.duration`, errs, false);
  },
  oneShot: () => false,
  recordsPerContainer: () => true,
  crd: {
    required: ['mode', 'selector', 'timeOffset'],
    properties: {
      timeOffset: { type: 'string' },
      clockIds: { type: 'array', items: { type: 'string' } },
      containerNames: CRD_CONTAINER_NAMES,
      ...CRD_SELECTED,
    },
    printerColumns: [PRINTER.duration, PRINTER.age],
  },
  embeddedEffect: 'recorded only (status + events); injectedChaos() lists it for parts that act on it',
  templates: {
    // shift the clock the selected containers see by `timeOffset` for `duration` (process clocks only)
    'time-offset': {
      summary: 'TimeChaos',
      params: z.object({
        ...onNodesParams,
        containerNames: stringList.default([]),
        duration: goDuration.default('60s'),
        timeOffset: signedGoDuration.default('-10m'),
        clockIds: z.array(z.string().regex(/^CLOCK_[A-Z_]+$/, 'clock ids look like CLOCK_REALTIME')).default(['CLOCK_REALTIME']),
      }),
      manifest: chaosManifest(
        'TimeChaos',
        MODE_VALUE,
        'duration: {{ duration }}',
        'timeOffset: {{ timeOffset }}',
        'clockIds: {{ clockIds }}',
        'containerNames: {{ containerNames }}',
        SELECT_ON_NODES,
      ),
    },
  },
});
