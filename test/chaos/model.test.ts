import { describe, expect, it } from 'vitest';
import {
  deriveConditions,
  matchExpressions,
  nextCronTime,
  parseCron,
  parseGoDuration,
  selectByMode,
  validateChaos,
  isOneShot,
  type ChaosRecord,
} from '../../chaos/model.ts';

const rec = (phase: ChaosRecord['phase']): ChaosRecord => ({ id: 'ns/p', selectorKey: '.', phase, injectedCount: 0, recoveredCount: 0 });

describe('parseGoDuration', () => {
  it.each([
    ['30s', 30_000],
    ['1m30s', 90_000],
    ['100ms', 100],
    ['1.5h', 5_400_000],
    ['-10m100ns', -600_000.0001],
    ['0', 0],
  ])('%s = %d ms', (s, ms) => expect(parseGoDuration(s)).toBeCloseTo(ms, 3));
  it.each(['30', 's', '', '1d', '1 m'])('%j is not a Go duration', (s) => expect(parseGoDuration(s)).toBeUndefined());
});

describe('selectByMode', () => {
  const pods = Array.from({ length: 10 }, (_, i) => `p${i}`);
  it('one, all, fixed, fixed-percent', () => {
    expect(selectByMode(pods, 'one', undefined)).toHaveLength(1);
    expect(selectByMode(pods, 'all', undefined)).toEqual(pods);
    expect(selectByMode(pods, 'fixed', '3')).toHaveLength(3);
    expect(selectByMode(pods, 'fixed', '30')).toHaveLength(10);
    expect(new Set(selectByMode(pods, 'fixed', '10')).size).toBe(10);
    expect(selectByMode(pods, 'fixed-percent', '25')).toHaveLength(2);
    expect(selectByMode(pods, 'fixed-percent', '100')).toHaveLength(10);
  });
  it('random-max-percent stays within the max', () => {
    for (let i = 0; i < 50; i++) expect(selectByMode(pods, 'random-max-percent', '50').length).toBeLessThanOrEqual(5);
    expect(selectByMode(pods, 'random-max-percent', '50', () => 0.999)).toHaveLength(5);
    expect(selectByMode(pods, 'random-max-percent', '50', () => 0)).toHaveLength(0);
  });
  it('bad values throw the controller message', () => {
    expect(() => selectByMode(pods, 'fixed', '0')).toThrow(/below or equal 0/);
    expect(() => selectByMode(pods, 'fixed-percent', '101')).toThrow(/Must be \(0,100\]/);
    expect(() => selectByMode(pods, 'fixed', 'x')).toThrow(/integer value/);
  });
  it('empty candidates select nothing', () => expect(selectByMode([], 'all', undefined)).toEqual([]));
});

describe('expressions', () => {
  it('In / NotIn / Exists / DoesNotExist', () => {
    const l = { app: 'a', tier: 'x' };
    expect(matchExpressions([{ key: 'app', operator: 'In', values: ['a', 'b'] }], l)).toBe(true);
    expect(matchExpressions([{ key: 'app', operator: 'NotIn', values: ['a'] }], l)).toBe(false);
    expect(matchExpressions([{ key: 'zone', operator: 'NotIn', values: ['a'] }], l)).toBe(true);
    expect(matchExpressions([{ key: 'tier', operator: 'Exists' }], l)).toBe(true);
    expect(matchExpressions([{ key: 'tier', operator: 'DoesNotExist' }], l)).toBe(false);
  });
});

describe('deriveConditions', () => {
  const get = (c: ReturnType<typeof deriveConditions>) => Object.fromEntries(c.map((x) => [x.type, x.status]));
  it('no records: nothing selected', () =>
    expect(get(deriveConditions(undefined, false))).toEqual({
      Selected: 'False',
      AllInjected: 'False',
      AllRecovered: 'False',
      Paused: 'False',
    }));
  it('all injected', () =>
    expect(get(deriveConditions([rec('Injected'), rec('Injected')], false))).toMatchObject({
      Selected: 'True',
      AllInjected: 'True',
      AllRecovered: 'False',
    }));
  it('mixed', () =>
    expect(get(deriveConditions([rec('Injected'), rec('Not Injected')], false))).toMatchObject({
      AllInjected: 'False',
      AllRecovered: 'False',
    }));
  it('all recovered + paused', () =>
    expect(get(deriveConditions([rec('Not Injected')], true))).toMatchObject({
      AllInjected: 'False',
      AllRecovered: 'True',
      Paused: 'True',
    }));
  it('one-shot kinds', () => {
    expect(isOneShot('PodChaos', { action: 'pod-kill' })).toBe(true);
    expect(isOneShot('PodChaos', { action: 'container-kill' })).toBe(true);
    expect(isOneShot('PodChaos', { action: 'pod-failure' })).toBe(false);
    expect(isOneShot('NetworkChaos', { action: 'partition' })).toBe(false);
  });
});

describe('cron', () => {
  it('@every', () => {
    const s = parseCron('@every 30s');
    expect(nextCronTime(s, 1000)).toBe(31_000);
  });
  it('5-field', () => {
    const s = parseCron('*/15 2 * * 1-5');
    const t0 = Date.UTC(2026, 10, 21, 15, 0, 0); // Saturday
    expect(new Date(nextCronTime(s, t0)).toISOString()).toBe('2026-11-23T02:00:00.000Z');
    expect(new Date(nextCronTime(parseCron('@hourly'), t0)).toISOString()).toBe('2026-11-21T16:00:00.000Z');
    expect(new Date(nextCronTime(parseCron('0 0 * * 7'), t0)).toISOString()).toBe('2026-11-22T00:00:00.000Z');
  });
  it('bad expressions', () => {
    expect(() => parseCron('* * *')).toThrow(/5 fields/);
    expect(() => parseCron('60 * * * *')).toThrow(/out of range/);
    expect(() => parseCron('@every 0s')).toThrow(/positive/);
  });
  it('schedule validation', () => {
    const errs = validateChaos({
      apiVersion: 'chaos-mesh.org/v1alpha1',
      kind: 'Schedule',
      metadata: { name: 's' },
      spec: { schedule: '@every 1x', type: 'PodChaos', historyLimit: 0 },
    });
    expect(errs.map((e) => e.field)).toEqual(['spec.schedule', 'spec.historyLimit', 'spec.podChaos']);
  });
});
