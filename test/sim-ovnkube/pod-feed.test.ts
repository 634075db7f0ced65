import { describe, expect, it } from 'vitest';
import type { MemoryStore } from '../../sim/api/store.ts';
import { newStore } from './harness.ts';
import { PodFeed } from '../../sim/ovnkube/pod-feed.ts';
import { egressIpInfo, namespaceInfo, podInfo } from '../../sim/ovnkube/k8s.ts';
import { podAssignments } from '../../sim/ovnkube/desired-state.ts';
import type { KubeObject, WatchEventType } from '../../sim/types.ts';

const PODS = { group: '', version: 'v1', resource: 'pods' };

function setup(): MemoryStore {
  const s = newStore();
  s.create({ group: '', version: 'v1', resource: 'namespaces' }, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n' } });
  return s;
}

const pod = (name: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'n', labels: { app: 'a' } },
  spec: { containers: [{ name: 'c', image: 'i' }] },
});

describe('PodFeed: one pod watch for all zone controllers', () => {
  it('delivers ADDED/DELETED always and MODIFIED only when the fingerprint changes', () => {
    const s = setup();
    const feed = PodFeed.of(s);
    const got: [string, WatchEventType, string][] = [];
    const offA = feed.subscribe((t, v) => got.push(['a', t, v.key]));
    const offB = feed.subscribe((t, v) => got.push(['b', t, v.key]));
    s.create(PODS, pod('p'));
    expect(got).toEqual([
      ['a', 'ADDED', 'n/p'],
      ['b', 'ADDED', 'n/p'],
    ]);
    got.length = 0;
    // the pod-networks annotation: nothing ovnkube's rows depend on
    s.mutate(PODS, 'n', 'p', (p) => void (p.metadata.annotations = { 'k8s.ovn.org/pod-networks': '{}' }));
    expect(got).toEqual([]);
    s.mutate(PODS, 'n', 'p', (p) => void (p.status = { phase: 'Running', podIPs: [{ ip: '10.128.0.5' }], podIP: '10.128.0.5' }), {
      subresource: 'status',
    });
    s.mutate(PODS, 'n', 'p', (p) => void (p.metadata.labels = { app: 'b' }));
    expect(got.map(([who, t]) => `${who} ${t}`)).toEqual(['a MODIFIED', 'b MODIFIED', 'a MODIFIED', 'b MODIFIED']);
    got.length = 0;
    s.delete(PODS, 'n', 'p');
    s.create(PODS, pod('p'));
    expect(got.map(([who, t]) => `${who} ${t}`)).toEqual(['a DELETED', 'b DELETED', 'a ADDED', 'b ADDED']);
    expect(feed.stats).toEqual({ events: 6, delivered: 5 });
    offA();
    offB();
  });

  it('watches the store only while it has subscribers, and one store watch serves them all', () => {
    const s = setup();
    const base = s.watcherCount();
    const feed = PodFeed.of(s);
    expect(PodFeed.of(s)).toBe(feed);
    const offs = Array.from({ length: 24 }, () => feed.subscribe(() => undefined));
    expect(s.watcherCount()).toBe(base + 1);
    expect(feed.subscribers).toBe(24);
    for (const off of offs) off();
    expect(s.watcherCount()).toBe(base);
    // a new subscriber after that: the feed starts from the store's pods (a zone lists them right after)
    s.create(PODS, pod('q'));
    const got: WatchEventType[] = [];
    const off = feed.subscribe((t) => got.push(t));
    s.mutate(PODS, 'n', 'q', (p) => void (p.metadata.annotations = { x: 'y' }));
    expect(got).toEqual([]);
    s.mutate(PODS, 'n', 'q', (p) => void (p.metadata.labels = { app: 'other' }));
    expect(got).toEqual(['MODIFIED']);
    off();
  });

  it('the view is computed once per event: every subscriber gets the same object', () => {
    const s = setup();
    const feed = PodFeed.of(s);
    const views: unknown[] = [];
    const offs = [feed.subscribe((_t, v) => views.push(v)), feed.subscribe((_t, v) => views.push(v))];
    s.create(PODS, pod('r'));
    expect(views).toHaveLength(2);
    expect(views[0]).toBe(views[1]);
    for (const off of offs) off();
  });

  it("pods(): the views of the store's pods, one shared array until the next pod event", () => {
    const s = setup();
    s.create(PODS, pod('a'));
    const feed = PodFeed.of(s);
    const off = feed.subscribe(() => undefined);
    s.create(PODS, pod('b'));
    const sorted = (xs: { name: string }[]): string[] => xs.map((x) => x.name).sort();
    const first = feed.pods();
    expect(feed.pods()).toBe(first);
    expect(sorted(first)).toEqual(['a', 'b']);
    // an annotation write changes nothing a view holds: the same list (and views) stay
    s.mutate(PODS, 'n', 'a', (p) => void (p.metadata.annotations = { x: 'y' }));
    expect(feed.pods()).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    // a label write does: a new list with the new version's view
    s.mutate(PODS, 'n', 'a', (p) => void (p.metadata.labels = { app: 'z' }));
    const second = feed.pods();
    expect(second).not.toBe(first);
    const a = s.get(PODS, 'n', 'a');
    expect(second.find((p) => p.name === 'a')).toBe(a && podInfo(a));
    // so does the start of a graceful deletion (not in the fingerprint, in the view)
    s.mutate(PODS, 'n', 'a', (p) => void (p.metadata.finalizers = ['test/hold']));
    s.delete(PODS, 'n', 'a');
    expect(feed.pods().find((p) => p.name === 'a')?.deleting).toBe(true);
    s.delete(PODS, 'n', 'b');
    expect(sorted(feed.pods())).toEqual(['a']);
    expect(new Set(feed.pods())).toEqual(new Set(s.list(PODS).map(podInfo)));
    off();
  });

  it('podAssignments is shared by the zones for one feed list and recomputed when an input changes', () => {
    const s = setup();
    s.mutate({ group: '', version: 'v1', resource: 'namespaces' }, undefined, 'n', (o) => void (o.metadata.labels = { team: 'x' }));
    s.create(PODS, pod('a'));
    s.mutate(PODS, 'n', 'a', (p) => void (p.spec = { ...(p.spec ?? {}), nodeName: 'w1' }));
    s.mutate(PODS, 'n', 'a', (p) => void (p.status = { phase: 'Running', podIPs: [{ ip: '10.128.0.5' }] }), { subresource: 'status' });
    const EIPS = { group: 'k8s.ovn.org', version: 'v1', resource: 'egressips' };
    const eipObj = (ip: string): KubeObject => ({
      apiVersion: 'k8s.ovn.org/v1',
      kind: 'EgressIP',
      metadata: { name: 'e' },
      spec: { egressIPs: [ip], namespaceSelector: { matchLabels: { team: 'x' } } },
      status: { items: [{ node: 'w2', egressIP: ip }] },
    });
    const feed = PodFeed.of(s);
    const off = feed.subscribe(() => undefined);
    const state = (): Parameters<typeof podAssignments>[0] => ({
      pods: feed.pods(),
      namespaces: s.list({ group: '', version: 'v1', resource: 'namespaces' }).map(namespaceInfo),
      eips: s.list(EIPS).map(egressIpInfo),
    });
    s.create(EIPS, eipObj('192.168.126.100'));
    const first = podAssignments(state());
    expect([...first.keys()]).toEqual(['n/a']);
    // another zone, same list and views: the same answer object
    expect(podAssignments(state())).toBe(first);
    // not memoized: a list that is not the feed's frozen one, or a fault's IP override
    expect(podAssignments({ ...state(), pods: [...feed.pods()] })).not.toBe(first);
    expect(podAssignments({ ...state(), opts: { podIpOverride: new Map() } })).not.toBe(first);
    // an EgressIP change: recomputed
    s.mutate(EIPS, undefined, 'e', (o) => void (o.status = { items: [] }), { subresource: 'status' });
    const after = podAssignments(state());
    expect(after).not.toBe(first);
    expect(after.size).toBe(0);
    // a namespace label change: recomputed
    s.mutate(EIPS, undefined, 'e', (o) => void (o.status = { items: [{ node: 'w2', egressIP: '192.168.126.100' }] }), {
      subresource: 'status',
    });
    const again = podAssignments(state());
    expect(again.size).toBe(1);
    s.mutate({ group: '', version: 'v1', resource: 'namespaces' }, undefined, 'n', (o) => void (o.metadata.labels = { team: 'y' }));
    expect(podAssignments(state()).size).toBe(0);
    off();
  });
});
