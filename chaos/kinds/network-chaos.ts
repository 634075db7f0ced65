/**
 * NetworkChaos: partition, delay, loss (and the other netem actions) between the selected pods and a
 * target (other pods or external targets).
 * Upstream: chaos-mesh api/v1alpha1/networkchaos_types.go, networkchaos_webhook.go; controllers/chaosimpl/networkchaos.
 */
import { z } from 'zod';
import { isRecord, isStringList, unsupported, validateDurationField, validateFloatString } from '../fields.ts';
import { CRD_SELECTED, MODE_VALUE, PRINTER, SELECT_ON_NODE, SELECT_ON_NODES, chaosManifest, defineChaosKind } from '../kind.ts';
import { commonParams, goDuration, k8sName, numericString, onNodesParams, signedGoDuration, stringList } from '../params.ts';
import { validateMode, validateSelector, type Mode, type PodSelectorSpec } from '../selector.ts';

export const NET_ACTIONS = ['netem', 'delay', 'loss', 'duplicate', 'corrupt', 'partition', 'bandwidth'] as const;
const DIRECTIONS = ['to', 'from', 'both'] as const;

const onNodes = { ...onNodesParams, duration: goDuration.default('60s') };

export const networkChaos = defineChaosKind({
  kind: 'NetworkChaos',
  description: 'partition, delay or drop the network of the selected pods (host-network pods: their node)',
  source: 'chaos-mesh api/v1alpha1/networkchaos_types.go, networkchaos_webhook.go',
  validate(spec, path, errs) {
    const action = spec.action;
    if (!NET_ACTIONS.includes(action as (typeof NET_ACTIONS)[number]))
      errs.push({ field: `${path}.action`, message: unsupported(action, NET_ACTIONS) });
    if (spec.direction !== undefined && !DIRECTIONS.includes(String(spec.direction) as (typeof DIRECTIONS)[number]))
      errs.push({ field: `${path}.direction`, message: unsupported(spec.direction, DIRECTIONS) });
    if (spec.externalTargets !== undefined && !isStringList(spec.externalTargets))
      errs.push({ field: `${path}.externalTargets`, message: 'must be a list of IPs or host names' });
    if (
      action !== 'partition' &&
      (spec.direction === 'from' || spec.direction === 'both') &&
      isStringList(spec.externalTargets) &&
      spec.externalTargets.length > 0
    )
      errs.push({
        field: `${path}.direction`,
        message: 'external targets cannot be used with `from` and `both` direction in netem action yet',
      });
    if (spec.target !== undefined) {
      if (!isRecord(spec.target)) errs.push({ field: `${path}.target`, message: 'must be an object {selector, mode, value}' });
      else {
        validateSelector(spec.target.selector, `${path}.target.selector`, errs);
        validateMode(spec.target.mode, spec.target.value, `${path}.target`, errs);
      }
    }
    if (action === 'delay') {
      const d = spec.delay;
      if (!isRecord(d)) errs.push({ field: `${path}.delay`, message: 'Required value: {latency: "100ms", jitter?, correlation?}' });
      else {
        validateDurationField(d.latency, `${path}.delay.latency`, errs, true);
        if (d.jitter !== undefined) validateDurationField(d.jitter, `${path}.delay.jitter`, errs, false);
        validateFloatString(d.correlation, `${path}.delay.correlation`, errs, false);
      }
    }
    if (action === 'loss') {
      const l = spec.loss;
      if (!isRecord(l)) errs.push({ field: `${path}.loss`, message: 'Required value: {loss: "25", correlation?}' });
      else {
        validateFloatString(l.loss, `${path}.loss.loss`, errs);
        validateFloatString(l.correlation, `${path}.loss.correlation`, errs, false);
      }
    }
    validateDurationField(spec.duration, `${path}.duration`, errs, false);
  },
  oneShot: () => false,
  recordsPerContainer: () => false,
  // spec.target selects the other side of the traffic; its records are keyed '.Target'
  extraSelectors: (spec) =>
    isRecord(spec.target)
      ? [
          {
            key: '.Target',
            selector: (spec.target.selector ?? {}) as PodSelectorSpec,
            mode: spec.target.mode as Mode,
            value: spec.target.value as string | undefined,
          },
        ]
      : [],
  crd: {
    required: ['mode', 'selector'],
    properties: {
      action: { type: 'string', enum: [...NET_ACTIONS] },
      direction: { type: 'string', enum: [...DIRECTIONS] },
      target: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
      externalTargets: { type: 'array', items: { type: 'string' } },
      ...CRD_SELECTED,
    },
    printerColumns: [PRINTER.action, PRINTER.duration, PRINTER.age],
  },
  embeddedEffect:
    'a partition of a host-network pod cuts its node off (the API and the EgressIP reachability probe see it unreachable); the netem actions (delay, loss, ...) are recorded only',
  templates: {
    // cut a node off from the other nodes and from the control plane: ovnkube-node runs with hostNetwork, so
    // partitioning its pod partitions the node's network (direction both + externalTargets: the other nodes' IPs, the API endpoint)
    'network-partition': {
      summary: 'NetworkChaos `partition`, direction `both`',
      params: z.object({
        ...commonParams,
        node: k8sName('node'),
        duration: goDuration.default('60s'),
        externalTargets: stringList.min(1, 'externalTargets needs at least one IP or host (the other nodes and the API endpoint)'),
      }),
      manifest: chaosManifest(
        'NetworkChaos',
        'action: partition',
        'mode: one',
        'direction: both',
        'duration: {{ duration }}',
        SELECT_ON_NODE,
        'externalTargets: {{ externalTargets }}',
      ),
    },
    // delay on the pods matching app=<app> in <targetNamespace> (optionally on some nodes)
    'network-delay': {
      summary: 'NetworkChaos `delay`',
      params: z.object({
        ...onNodes,
        latency: goDuration.default('100ms'),
        jitter: signedGoDuration.default('0ms'),
        correlation: numericString.default('0'),
      }),
      manifest: chaosManifest(
        'NetworkChaos',
        'action: delay',
        MODE_VALUE,
        'direction: to',
        'duration: {{ duration }}',
        'delay:\n  latency: {{ latency }}\n  jitter: {{ jitter }}\n  correlation: {{ correlation }}',
        SELECT_ON_NODES,
      ),
    },
    // loss on the pods matching app=<app> in <targetNamespace> (optionally on some nodes)
    'network-loss': {
      summary: 'NetworkChaos `loss`',
      params: z.object({ ...onNodes, loss: numericString.default('25'), correlation: numericString.default('0') }),
      manifest: chaosManifest(
        'NetworkChaos',
        'action: loss',
        MODE_VALUE,
        'direction: to',
        'duration: {{ duration }}',
        'loss:\n  loss: {{ loss }}\n  correlation: {{ correlation }}',
        SELECT_ON_NODES,
      ),
    },
  },
});
