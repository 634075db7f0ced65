/**
 * PodChaos: kill a pod, kill a container, or make a pod fail for a while.
 * Upstream: chaos-mesh api/v1alpha1/podchaos_types.go, podchaos_webhook.go; controllers/chaosimpl/podchaos.
 */
import { z } from 'zod';
import { isStringList, unsupported, validateDurationField } from '../fields.ts';
import { CRD_CONTAINER_NAMES, CRD_SELECTED, MODE_VALUE, PRINTER, SELECT_ON_NODE, chaosManifest, defineChaosKind } from '../kind.ts';
import { commonParams, goDuration, k8sName, modeValueParams } from '../params.ts';

export const POD_ACTIONS = ['pod-kill', 'pod-failure', 'container-kill'] as const;

const nodeParams = { ...commonParams, ...modeValueParams, node: k8sName('node') };

export const podChaos = defineChaosKind({
  kind: 'PodChaos',
  description: 'kill pods or containers, or make pods fail for a duration',
  source: 'chaos-mesh api/v1alpha1/podchaos_types.go, podchaos_webhook.go',
  validate(spec, path, errs) {
    const action = spec.action ?? 'pod-kill';
    if (!POD_ACTIONS.includes(action as (typeof POD_ACTIONS)[number]))
      errs.push({ field: `${path}.action`, message: unsupported(action, POD_ACTIONS) });
    if (action === 'container-kill' && !(isStringList(spec.containerNames) && spec.containerNames.length > 0))
      errs.push({ field: `${path}.containerNames`, message: 'Required value: container-kill needs at least one container name' });
    if (spec.gracePeriod !== undefined && !(Number.isInteger(spec.gracePeriod) && (spec.gracePeriod as number) >= 0))
      errs.push({ field: `${path}.gracePeriod`, message: `Invalid value: ${JSON.stringify(spec.gracePeriod)}: must be an integer >= 0` });
    validateDurationField(spec.duration, `${path}.duration`, errs, action === 'pod-failure');
  },
  // pod-kill and container-kill act once: they stay Injected (desiredPhase Run) until deleted
  oneShot: (spec) => spec.action === undefined || spec.action === 'pod-kill' || spec.action === 'container-kill',
  recordsPerContainer: (spec) => spec.action === 'container-kill',
  crd: {
    required: ['action', 'mode', 'selector'],
    properties: {
      action: { type: 'string', enum: [...POD_ACTIONS] },
      gracePeriod: { type: 'integer', minimum: 0 },
      containerNames: CRD_CONTAINER_NAMES,
      ...CRD_SELECTED,
    },
    printerColumns: [PRINTER.action, PRINTER.duration, PRINTER.age],
  },
  embeddedEffect:
    'pod-kill deletes the pod (its controller recreates it); container-kill restarts the container (restartCount + 1); pod-failure makes the containers fail (not ready, restarted on the pause image) until recovery',
  templates: {
    // delete the ovnkube-node pod on one node; its DaemonSet recreates it. AllRecovered after the object is deleted.
    'pod-kill': {
      summary: 'PodChaos `pod-kill` (one-shot)',
      params: z.object({ ...nodeParams, gracePeriod: z.number().int().min(0).default(0) }),
      manifest: chaosManifest('PodChaos', 'action: pod-kill', MODE_VALUE, 'gracePeriod: {{ gracePeriod }}', SELECT_ON_NODE),
    },
    // kill one container of the pod on a node; the kubelet restarts it and bumps restartCount
    'container-kill': {
      summary: 'PodChaos `container-kill` (one-shot)',
      params: z.object({ ...nodeParams, container: z.string().min(1).default('ovnkube-controller') }),
      manifest: chaosManifest('PodChaos', 'action: container-kill', MODE_VALUE, 'containerNames: [{{ container }}]', SELECT_ON_NODE),
    },
    // the selected pod's containers fail (pause image) for `duration`, then recover
    'pod-failure': {
      summary: 'PodChaos `pod-failure`',
      params: z.object({ ...nodeParams, duration: goDuration.default('30s') }),
      manifest: chaosManifest('PodChaos', 'action: pod-failure', MODE_VALUE, 'duration: {{ duration }}', SELECT_ON_NODE),
    },
  },
});
