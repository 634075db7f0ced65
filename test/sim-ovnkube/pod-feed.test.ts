import { describe, expect, it } from 'vitest';
import { MemoryStore } from '../../sim/api/store.ts';
import { PodFeed } from '../../sim/ovnkube/pod-feed.ts';
import { podInfo } from '../../sim/ovnkube/k8s.ts';
import type { KubeObject, WatchEventType } from '../../sim/types.ts';

const PODS = { group: '', version: 'v1', resource: 'pods' };

function setup(): MemoryStore {
  const s = new MemoryStore();
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
    // a new subscriber after that starts afresh: its first MODIFIED of a known pod is delivered
    s.create(PODS, pod('q'));
    const got: WatchEventType[] = [];
    const off = feed.subscribe((t) => got.push(t));
    s.mutate(PODS, 'n', 'q', (p) => void (p.metadata.annotations = { x: 'y' }));
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
    // an annotation write is dropped for the subscribers, but the list holds the new version
    s.mutate(PODS, 'n', 'a', (p) => void (p.metadata.annotations = { x: 'y' }));
    const second = feed.pods();
    expect(second).not.toBe(first);
    const a = s.get(PODS, 'n', 'a');
    expect(second.find((p) => p.name === 'a')).toBe(a && podInfo(a));
    s.delete(PODS, 'n', 'b');
    expect(sorted(feed.pods())).toEqual(['a']);
    expect(new Set(feed.pods())).toEqual(new Set(s.list(PODS).map(podInfo)));
    off();
  });
});
