/**
 * Pure logic of sim/api: selectors, patches, JSONPath, CRD schema validation, durations, RBAC rules,
 * request parsing, protobuf decoding, the self-signed certificate.
 */
import { X509Certificate } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { compileSelectors, matchLabels, parseFieldSelector, parseLabelSelector } from '../../sim/api/selectors.ts';
import { applyPatch, mergePatch, strategicMerge } from '../../sim/api/patch.ts';
import { evalJsonPath } from '../../sim/api/jsonpath.ts';
import { validateCustomResource } from '../../sim/api/crd-schema.ts';
import { humanDuration } from '../../sim/api/tables.ts';
import { ruleAllows } from '../../sim/api/rbac.ts';
import { negotiate, parseResourcePath } from '../../sim/api/request.ts';
import { decodeProtobuf } from '../../sim/api/protobuf.ts';
import { selfSignedCert } from '../../sim/api/tls.ts';
import { nameProblem } from '../../sim/api/validation.ts';
import { ApiStatusError } from '../../sim/api/errors.ts';
import type { KubeObject } from '../../sim/types.ts';

describe('label selectors', () => {
  const L = { app: 'web', tier: 'front', env: 'prod' };
  const m = (sel: string, labels: Record<string, string> = L) => matchLabels(parseLabelSelector(sel), labels);
  it('supports =, ==, !=, in, notin, exists, !exists', () => {
    expect(m('app=web')).toBe(true);
    expect(m('app==web')).toBe(true);
    expect(m('app!=web')).toBe(false);
    expect(m('app!=db')).toBe(true);
    expect(m('missing!=x')).toBe(true);
    expect(m('tier in (front, back)')).toBe(true);
    expect(m('tier notin (front)')).toBe(false);
    expect(m('missing notin (front)')).toBe(true);
    expect(m('missing in (front)')).toBe(false);
    expect(m('env')).toBe(true);
    expect(m('!env')).toBe(false);
    expect(m('!missing')).toBe(true);
    expect(m('app=web,tier in (front),!legacy')).toBe(true);
    expect(m('node-role.kubernetes.io/worker', { 'node-role.kubernetes.io/worker': '' })).toBe(true);
    expect(m('')).toBe(true);
  });
  it('rejects garbage with 400', () => {
    for (const bad of ['app in (a', 'a=b=c', '=x', 'app in a', 'Bad Key=1']) {
      expect(() => parseLabelSelector(bad), bad).toThrowError(ApiStatusError);
    }
  });
});

describe('field selectors', () => {
  const pod = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'ns' },
    spec: { nodeName: 'n1' },
    status: { phase: 'Running' },
    involvedObject: { uid: 'u1' },
  } as KubeObject;
  it('matches paths with = and !=, missing fields are empty', () => {
    const f = (s: string) => compileSelectors(undefined, s)?.(pod);
    expect(f('spec.nodeName=n1')).toBe(true);
    expect(f('spec.nodeName==n1,status.phase!=Failed')).toBe(true);
    expect(f('metadata.namespace=other')).toBe(false);
    expect(f('involvedObject.uid=u1')).toBe(true);
    expect(f('spec.missing=')).toBe(true);
    expect(() => parseFieldSelector('spec.nodeName~n1')).toThrowError(ApiStatusError);
  });
});

describe('patches', () => {
  it('merge patch: null deletes, objects merge, lists replace', () => {
    expect(mergePatch({ a: 1, b: { c: 1, d: 2 }, l: [1, 2] }, { a: null, b: { c: 3 }, l: [3] })).toEqual({ b: { c: 3, d: 2 }, l: [3] });
  });
  it('strategic merge: containers by name, env by name, conditions by type, $patch delete, $setElementOrder', () => {
    const cur = {
      spec: {
        containers: [
          { name: 'a', image: 'a:1', env: [{ name: 'X', value: '1' }] },
          { name: 'b', image: 'b:1' },
        ],
        tolerations: [{ key: 't' }],
      },
      status: { conditions: [{ type: 'Ready', status: 'False' }] },
    };
    const out = strategicMerge(cur, {
      spec: {
        $setElementOrder: undefined,
        containers: [
          { name: 'a', env: [{ name: 'Y', value: '2' }] },
          { name: 'b', $patch: 'delete' },
          { name: 'c', image: 'c:1' },
        ],
        tolerations: [{ key: 'u' }],
      },
      status: { conditions: [{ type: 'Ready', status: 'True' }] },
    }) as typeof cur;
    expect(out.spec.containers).toEqual([
      {
        name: 'a',
        image: 'a:1',
        env: [
          { name: 'X', value: '1' },
          { name: 'Y', value: '2' },
        ],
      },
      { name: 'c', image: 'c:1' },
    ]);
    expect(out.spec.tolerations).toEqual([{ key: 'u' }]);
    expect(out.status.conditions).toEqual([{ type: 'Ready', status: 'True' }]);
    const ordered = strategicMerge(
      { containers: [{ name: 'x' }, { name: 'y' }] },
      { '$setElementOrder/containers': [{ name: 'y' }, { name: 'x' }], containers: [{ name: 'y', v: 1 }] },
    ) as { containers: unknown[] };
    expect(ordered.containers).toEqual([{ name: 'y', v: 1 }, { name: 'x' }]);
    expect(strategicMerge({ metadata: { finalizers: ['a'] } }, { metadata: { finalizers: ['b'] } })).toEqual({
      metadata: { finalizers: ['a', 'b'] },
    });
    expect(strategicMerge({ ports: [{ containerPort: 80, name: 'h' }] }, { ports: [{ containerPort: 80, protocol: 'TCP' }] })).toEqual({
      ports: [{ containerPort: 80, name: 'h', protocol: 'TCP' }],
    });
  });
  it('json patch applies ops and fails cleanly', () => {
    expect(
      applyPatch(
        'application/json-patch+json',
        { a: { b: 1 } },
        [
          { op: 'replace', path: '/a/b', value: 2 },
          { op: 'add', path: '/c', value: [1] },
        ],
        true,
      ),
    ).toEqual({ a: { b: 2 }, c: [1] });
    expect(() => applyPatch('application/json-patch+json', { a: 1 }, [{ op: 'remove', path: '/nope' }], true)).toThrowError(ApiStatusError);
    expect(() => applyPatch('application/strategic-merge-patch+json', {}, {}, false)).toThrowError(/unknown format/);
  });
});

describe('jsonpath', () => {
  const o = {
    spec: { egressIPs: ['1.1.1.1', '2.2.2.2'] },
    status: { items: [{ node: 'n1', egressIP: '1.1.1.1' }], conditions: [{ type: 'Ready', status: 'True' }] },
  };
  it('fields, [*], [n], filters', () => {
    expect(evalJsonPath(o, '.spec.egressIPs[*]')).toEqual(['1.1.1.1', '2.2.2.2']);
    expect(evalJsonPath(o, '.status.items[*].node')).toEqual(['n1']);
    expect(evalJsonPath(o, '.spec.egressIPs[1]')).toEqual(['2.2.2.2']);
    expect(evalJsonPath(o, '.status.conditions[?(@.type=="Ready")].status')).toEqual(['True']);
    expect(evalJsonPath(o, '{.missing.x}')).toEqual([]);
  });
});

describe('CRD schema validation', () => {
  const schema = {
    type: 'object',
    properties: {
      spec: {
        type: 'object',
        required: ['n'],
        properties: {
          n: { type: 'integer', minimum: 1, maximum: 5 },
          s: { type: 'string', pattern: '^a+$', maxLength: 3 },
          e: { type: 'string', enum: ['x', 'y'] },
          l: { type: 'array', maxItems: 1, items: { type: 'string' } },
        },
      },
    },
  };
  const causes = (spec: unknown) =>
    validateCustomResource({ spec } as Record<string, unknown>, schema).map((c) => `${c.field}:${c.reason}`);
  it('types, required, enum, pattern, min/max, maxItems; prunes unknown fields', () => {
    expect(causes({ n: 3 })).toEqual([]);
    expect(causes({})).toEqual(['spec.n:FieldValueRequired']);
    expect(causes({ n: 'x' })).toEqual(['spec.n:FieldValueTypeInvalid']);
    expect(causes({ n: 9 })).toEqual(['spec.n:FieldValueInvalid']);
    expect(causes({ n: 1, s: 'b' })).toEqual(['spec.s:FieldValueInvalid']);
    expect(causes({ n: 1, s: 'aaaa' })).toEqual(['spec.s:FieldValueTooLong']);
    expect(causes({ n: 1, e: 'z' })).toEqual(['spec.e:FieldValueNotSupported']);
    expect(causes({ n: 1, l: ['a', 'b'] })).toEqual(['spec.l:FieldValueTooMany']);
    const obj = { spec: { n: 1, junk: true } } as Record<string, unknown>;
    validateCustomResource(obj, schema);
    expect(obj.spec).toEqual({ n: 1 });
  });
});

describe('misc pure helpers', () => {
  it('humanDuration like apimachinery', () => {
    expect(humanDuration(5_000)).toBe('5s');
    expect(humanDuration(119_000)).toBe('119s');
    expect(humanDuration(5 * 60_000 + 3000)).toBe('5m3s');
    expect(humanDuration(30 * 60_000)).toBe('30m');
    expect(humanDuration(5 * 3600_000 + 60_000)).toBe('5h1m');
    expect(humanDuration(3 * 86400_000)).toBe('3d');
  });
  it('RBAC rules: verbs, groups, subresources, resourceNames', () => {
    const r = { verbs: ['get'], apiGroups: [''], resources: ['pods/log'] };
    expect(ruleAllows(r, { verb: 'get', group: '', resource: 'pods', subresource: 'log' })).toBe(true);
    expect(ruleAllows(r, { verb: 'get', group: '', resource: 'pods' })).toBe(false);
    expect(
      ruleAllows({ verbs: ['*'], apiGroups: ['*'], resources: ['*'] }, { verb: 'delete', group: 'apps', resource: 'deployments' }),
    ).toBe(true);
    expect(
      ruleAllows(
        { verbs: ['get'], apiGroups: [''], resources: ['configmaps'], resourceNames: ['a'] },
        { verb: 'get', group: '', resource: 'configmaps', name: 'b' },
      ),
    ).toBe(false);
  });
  it('resource paths', () => {
    expect(parseResourcePath('/api/v1/namespaces/ns1/pods/p/log')).toEqual({
      group: '',
      version: 'v1',
      namespace: 'ns1',
      resource: 'pods',
      name: 'p',
      subresource: 'log',
    });
    expect(parseResourcePath('/api/v1/namespaces/ns1')).toEqual({
      group: '',
      version: 'v1',
      namespace: undefined,
      resource: 'namespaces',
      name: 'ns1',
      subresource: undefined,
    });
    expect(parseResourcePath('/api/v1/namespaces/ns1/status')).toMatchObject({
      resource: 'namespaces',
      name: 'ns1',
      subresource: 'status',
    });
    expect(parseResourcePath('/apis/k8s.ovn.org/v1/egressips')).toMatchObject({ group: 'k8s.ovn.org', resource: 'egressips' });
    expect(parseResourcePath('/apis')).toBeUndefined();
  });
  it('Accept negotiation', () => {
    expect(negotiate('application/json;as=Table;v=v1;g=meta.k8s.io,application/json')).toEqual({ kind: 'table' });
    expect(negotiate('application/vnd.kubernetes.protobuf,application/json')).toEqual({ kind: 'json' });
    expect(negotiate('application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json')).toEqual({ kind: 'json' });
    expect(() => negotiate('text/html')).toThrowError(ApiStatusError);
  });
  it('names per kind', () => {
    expect(nameProblem('a.b', { kind: 'ConfigMap' })).toBeUndefined();
    expect(nameProblem('a.b', { kind: 'Namespace', nameRule: 'label' })).toBeTruthy();
    expect(nameProblem('system:basic-user', { kind: 'ClusterRole', nameRule: 'path' })).toBeUndefined();
  });
  it('protobuf envelope of a ConfigMap decodes', () => {
    // k8s\0 + Unknown{typeMeta{apiVersion:"v1",kind:"ConfigMap"}, raw: ConfigMap{metadata{name:"c"}, data{"a":"1"}}}
    const str = (no: number, s: string) => Buffer.concat([Buffer.from([(no << 3) | 2, s.length]), Buffer.from(s)]);
    const msg = (no: number, b: Buffer) => Buffer.concat([Buffer.from([(no << 3) | 2, b.length]), b]);
    const raw = Buffer.concat([msg(1, str(1, 'c')), msg(2, Buffer.concat([str(1, 'a'), str(2, '1')]))]);
    const env = Buffer.concat([Buffer.from('k8s\0'), msg(1, Buffer.concat([str(1, 'v1'), str(2, 'ConfigMap')])), msg(2, raw)]);
    expect(decodeProtobuf(env)).toEqual({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '1' } });
  });
  it('self-signed certificate is valid for 127.0.0.1 and self-verifies', () => {
    const { certPem } = selfSignedCert();
    const x = new X509Certificate(certPem);
    expect(x.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(x.verify(x.publicKey)).toBe(true);
    expect(x.ca).toBe(true);
  });
});

describe('MemoryStore', () => {
  it('keeps list order sorted across creates and deletes after the index is built', async () => {
    const { MemoryStore } = await import('../../sim/api/store.ts');
    const s = new MemoryStore();
    const NS = { group: '', version: 'v1', resource: 'namespaces' };
    const CM = { group: '', version: 'v1', resource: 'configmaps' };
    s.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'a' } });
    s.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'b' } });
    const names = ['m', 'c', 'x', 'a', 'q'];
    for (const n of names) s.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: n, namespace: 'b' } });
    expect(s.list(CM).map((o) => o.metadata.name)).toEqual(['a', 'c', 'm', 'q', 'x']);
    s.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'zz', namespace: 'a' } });
    s.create(CM, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'b', namespace: 'b' } });
    s.delete(CM, 'b', 'm');
    expect(s.list(CM).map((o) => `${o.metadata.namespace}/${o.metadata.name}`)).toEqual(['a/zz', 'b/a', 'b/b', 'b/c', 'b/q', 'b/x']);
    expect(s.list(CM, { namespace: 'b', labelSelector: '' }).length).toBe(5);
    // returned objects are frozen: callers clone (mutate() does)
    const o = s.get(CM, 'b', 'a');
    expect(Object.isFrozen(o)).toBe(true);
    const updated = s.mutate(CM, 'b', 'a', (x) => (x.data = { k: 'v' }));
    expect(updated?.data).toEqual({ k: 'v' });
  });

  it('mutateMetadata changes the metadata and shares the rest of the stored object', async () => {
    const { MemoryStore } = await import('../../sim/api/store.ts');
    const s = new MemoryStore();
    const NS = { group: '', version: 'v1', resource: 'namespaces' };
    const CM = { group: '', version: 'v1', resource: 'configmaps' };
    s.create(NS, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } });
    const created = s.create(CM, {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'c', namespace: 'n', labels: { a: '1' }, annotations: { keep: 'x' } },
      data: { big: 'v'.repeat(100) },
    });
    const events: string[] = [];
    s.watch(CM, (ev) => events.push(`${ev.type} ${ev.object.metadata.annotations?.added ?? '-'}`));
    const updated = s.mutateMetadata(CM, 'n', 'c', (md) => {
      md.annotations!.added = 'y'; // in place: the callback's annotations are a copy
      md.labels = { ...md.labels, b: '2' };
    });
    expect(updated?.metadata.annotations).toEqual({ keep: 'x', added: 'y' });
    expect(updated?.metadata.labels).toEqual({ a: '1', b: '2' });
    expect(Number(updated?.metadata.resourceVersion)).toBeGreaterThan(Number(created.metadata.resourceVersion));
    expect(updated?.metadata.uid).toBe(created.metadata.uid);
    // the data was not copied: the new version holds the stored frozen object itself
    expect(updated?.data).toBe(created.data);
    expect(Object.isFrozen(updated)).toBe(true);
    // the old version is untouched
    expect(created.metadata.annotations).toEqual({ keep: 'x' });
    expect(events).toEqual(['MODIFIED y']);
    expect(s.mutateMetadata(CM, 'n', 'gone', () => undefined)).toBeUndefined();
  });
});

describe('aggregated discovery', () => {
  it('lists every group-version with resources and subresources', async () => {
    const { Discovery } = await import('../../sim/api/discovery.ts');
    const { ResourceRegistry } = await import('../../sim/api/resources.ts');
    const d = new Discovery(new ResourceRegistry());
    const core = JSON.parse(d.aggregated(true)) as {
      kind: string;
      items: {
        metadata: { name: string };
        versions: { version: string; resources: { resource: string; scope: string; subresources?: { subresource: string }[] }[] }[];
      }[];
    };
    expect(core.kind).toBe('APIGroupDiscoveryList');
    expect(core.items.map((i) => i.metadata.name)).toEqual(['']);
    const pods = core.items[0].versions[0].resources.find((r) => r.resource === 'pods');
    expect(pods?.scope).toBe('Namespaced');
    expect(pods?.subresources?.map((s) => s.subresource)).toEqual(['status', 'log', 'exec']);
    const groups = JSON.parse(d.aggregated(false)) as { items: { metadata: { name: string } }[] };
    expect(groups.items.map((i) => i.metadata.name)).toContain('apps');
    expect(groups.items.map((i) => i.metadata.name)).not.toContain('');
  });
});
