import { describe, expect, it } from 'vitest';
import { renderTemplate, renderSchedule, parseManifest, TEMPLATE_IDS } from '../../harness/chaos/templates.ts';
import { UsageError } from '../../harness/errors.ts';
import { validateChaos } from '../../chaos/model.ts';

const baseParams: Record<string, Record<string, unknown>> = {
  'pod-kill': { node: 'worker-0' },
  'container-kill': { node: 'worker-0' },
  'pod-failure': { node: 'worker-0', duration: '20s' },
  'network-partition': { node: 'worker-0', externalTargets: ['192.168.126.11', '192.168.126.12'] },
  'network-delay': { nodes: ['worker-1'], latency: '200ms' },
  'network-loss': { loss: '50' },
  'stress-cpu': { app: 'ptp', targetNamespace: 'openshift-ptp', workers: 2 },
  'time-offset': { app: 'linuxptp-daemon', targetNamespace: 'openshift-ptp', timeOffset: '-5m' },
};

describe('chaos templates', () => {
  it.each(TEMPLATE_IDS)('%s renders to a valid Chaos Mesh object', (id) => {
    const r = renderTemplate(id, { name: `t-${id}`, ...baseParams[id] });
    expect(r.object.apiVersion).toBe('chaos-mesh.org/v1alpha1');
    expect(r.object.metadata.name).toBe(`t-${id}`);
    expect(r.object.metadata.namespace).toBe('chaos-mesh');
    expect(validateChaos(r.object)).toEqual([]);
    expect(r.yaml).toContain(`kind: ${r.kind}`);
  });

  it('pod-kill targets ovnkube-node on the node', () => {
    const r = renderTemplate('pod-kill', { node: 'worker-2' });
    expect(r.object.spec).toMatchObject({
      action: 'pod-kill',
      mode: 'one',
      selector: {
        namespaces: ['openshift-ovn-kubernetes'],
        labelSelectors: { app: 'ovnkube-node' },
        fieldSelectors: { 'spec.nodeName': 'worker-2' },
      },
    });
    expect(r.object.metadata.name).toMatch(/^nh-pod-kill-[0-9a-f]{6}$/);
  });

  it('container-kill defaults to ovnkube-controller', () => {
    expect(renderTemplate('container-kill', { node: 'worker-0' }).object.spec.containerNames).toEqual(['ovnkube-controller']);
  });

  it('partition is direction both with external targets', () => {
    const s = renderTemplate('network-partition', baseParams['network-partition']).object.spec;
    expect(s).toMatchObject({
      action: 'partition',
      direction: 'both',
      externalTargets: ['192.168.126.11', '192.168.126.12'],
      duration: '60s',
    });
  });

  it('values that look like YAML stay strings', () => {
    const r = renderTemplate('network-loss', { loss: 25, mode: 'fixed', value: 2, app: 'yes' });
    expect(r.object.spec.loss).toEqual({ loss: '25', correlation: '0' });
    expect(r.object.spec.value).toBe('2');
    expect((r.object.spec.selector as { labelSelectors: Record<string, string> }).labelSelectors.app).toBe('yes');
  });

  it.each([
    ['pod-kill', {}, /param 'node': required|param 'node'/],
    ['pod-kill', { node: 'Worker_0' }, /param 'node': node must be a lowercase RFC 1123 name/],
    ['pod-kill', { node: 'w', nodes: ['x'] }, /unknown param 'nodes'/],
    ['pod-failure', { node: 'w', duration: '30' }, /param 'duration': must be a positive Go duration/],
    ['pod-kill', { node: 'w', mode: 'some' }, /param 'mode'/],
    ['pod-kill', { node: 'w', mode: 'fixed-percent', value: '150' }, /param 'value'.*\(0, 100\]/],
    ['network-partition', { node: 'w', externalTargets: [] }, /param 'externalTargets'/],
    ['stress-cpu', { workers: 0 }, /param 'workers'/],
  ])('%s with bad params %j -> UsageError naming the param', (id, params, re) => {
    let err: unknown;
    try {
      renderTemplate(id, params);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(re);
  });

  it('unknown template -> UsageError listing the templates', () => {
    expect(() => renderTemplate('node-kill', {})).toThrow(/unknown chaos template 'node-kill'/);
  });

  it('schedule wraps any template', () => {
    const inner = renderTemplate('pod-kill', { name: 'kill-ovnk', node: 'worker-0' });
    const s = renderSchedule(inner, { schedule: '@every 30s', historyLimit: 3 });
    expect(s.object).toMatchObject({
      kind: 'Schedule',
      metadata: { name: 'kill-ovnk-schedule', namespace: 'chaos-mesh' },
      spec: { schedule: '@every 30s', type: 'PodChaos', historyLimit: 3, concurrencyPolicy: 'Forbid', podChaos: inner.object.spec },
    });
    expect(validateChaos(s.object)).toEqual([]);
    expect(() => renderSchedule(inner, { schedule: '61 * * * *' })).toThrow(/param 'schedule'/);
    const cron = renderSchedule(renderTemplate('network-delay', {}), { schedule: '*/5 * * * *', concurrencyPolicy: 'Allow' });
    expect(cron.object.spec.networkChaos).toBeDefined();
  });
});

describe('parseManifest', () => {
  it('accepts a valid manifest', () => {
    const objs = parseManifest(`apiVersion: chaos-mesh.org/v1alpha1
kind: PodChaos
metadata: {name: pod-kill-example}
spec:
  action: pod-kill
  mode: one
  selector:
    labelSelectors: {"app.kubernetes.io/component": "tikv"}
`);
    expect(objs).toHaveLength(1);
  });

  it('lists every field error', () => {
    expect(() =>
      parseManifest(`apiVersion: chaos-mesh.org/v1alpha1
kind: PodChaos
metadata: {name: bad}
spec:
  action: pod-explode
  mode: fixed
  value: "0"
`),
    ).toThrow(/(?=.*spec.action: Unsupported value: "pod-explode")(?=.*spec.value: Invalid value: "0": value must be greater than 0)/);
  });

  it('pod-failure needs a duration; container-kill needs containerNames', () => {
    expect(() =>
      parseManifest(
        `apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: a}\nspec: {action: pod-failure, mode: all, selector: {}}\n`,
      ),
    ).toThrow(/spec.duration: Required value/);
    expect(() =>
      parseManifest(
        `apiVersion: chaos-mesh.org/v1alpha1\nkind: PodChaos\nmetadata: {name: a}\nspec: {action: container-kill, mode: all}\n`,
      ),
    ).toThrow(/spec.containerNames: Required value/);
  });

  it('rejects other apiVersions and bad YAML', () => {
    expect(() => parseManifest('apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n')).toThrow(/apiVersion must be chaos-mesh.org\/v1alpha1/);
    expect(() => parseManifest('a: [\n')).toThrow(/not valid YAML/);
  });
});
