import { describe, expect, it } from 'vitest';
import { compileSelectors, labelSelectorIsEmpty, matchLabelSelector } from '../../harness/k8s/label-selector.ts';

const L = { app: 'web', tier: 'b', k: '' };

describe('matchLabelSelector (metav1.LabelSelector)', () => {
  it('empty and missing selectors match everything', () => {
    expect(matchLabelSelector(undefined, L)).toBe(true);
    expect(matchLabelSelector({}, L)).toBe(true);
    expect(matchLabelSelector({ matchLabels: {}, matchExpressions: [] }, undefined)).toBe(true);
  });
  it('matchLabels: every pair must be equal', () => {
    expect(matchLabelSelector({ matchLabels: { app: 'web' } }, L)).toBe(true);
    expect(matchLabelSelector({ matchLabels: { app: 'web', tier: 'a' } }, L)).toBe(false);
    expect(matchLabelSelector({ matchLabels: { k: '' } }, L)).toBe(true);
    expect(matchLabelSelector({ matchLabels: { missing: '' } }, L)).toBe(false);
    expect(matchLabelSelector({ matchLabels: { app: 'web' } }, undefined)).toBe(false);
  });
  it('In / NotIn', () => {
    expect(matchLabelSelector({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] }, L)).toBe(true);
    expect(matchLabelSelector({ matchExpressions: [{ key: 'tier', operator: 'In', values: ['a'] }] }, L)).toBe(false);
    expect(matchLabelSelector({ matchExpressions: [{ key: 'nope', operator: 'In', values: [''] }] }, L)).toBe(false);
    expect(matchLabelSelector({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['b'] }] }, L)).toBe(false);
    expect(matchLabelSelector({ matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['a'] }] }, L)).toBe(true);
    expect(matchLabelSelector({ matchExpressions: [{ key: 'nope', operator: 'NotIn', values: ['a'] }] }, L)).toBe(true);
  });
  it('Exists / DoesNotExist (a key with an empty value exists)', () => {
    expect(matchLabelSelector({ matchExpressions: [{ key: 'k', operator: 'Exists' }] }, L)).toBe(true);
    expect(matchLabelSelector({ matchExpressions: [{ key: 'nope', operator: 'Exists' }] }, L)).toBe(false);
    expect(matchLabelSelector({ matchExpressions: [{ key: 'k', operator: 'DoesNotExist' }] }, L)).toBe(false);
    expect(matchLabelSelector({ matchExpressions: [{ key: 'nope', operator: 'DoesNotExist' }] }, L)).toBe(true);
    expect(matchLabelSelector({ matchExpressions: [{ key: 'toString', operator: 'Exists' }] }, L)).toBe(false);
  });
  it('matchLabels and expressions are ANDed', () => {
    expect(matchLabelSelector({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b'] }] }, L)).toBe(
      true,
    );
    expect(matchLabelSelector({ matchLabels: { app: 'db' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['b'] }] }, L)).toBe(
      false,
    );
  });
  it('an unknown operator matches nothing', () => {
    expect(matchLabelSelector({ matchExpressions: [{ key: 'app', operator: 'Equals', values: ['web'] }] }, L)).toBe(false);
  });
  it('labelSelectorIsEmpty', () => {
    expect(labelSelectorIsEmpty(undefined)).toBe(true);
    expect(labelSelectorIsEmpty({ matchLabels: {} })).toBe(true);
    expect(labelSelectorIsEmpty({ matchLabels: { a: 'b' } })).toBe(false);
    expect(labelSelectorIsEmpty({ matchExpressions: [{ key: 'a', operator: 'Exists' }] })).toBe(false);
  });
});

describe('field selectors on boolean fields (kube-apiserver strconv.FormatBool)', () => {
  const hostNet = { metadata: { name: 'h' }, spec: { hostNetwork: true } };
  const unset = { metadata: { name: 'u' }, spec: {} };
  const explicitFalse = { metadata: { name: 'f' }, spec: { hostNetwork: false } };
  const names = (fs: string): string[] => {
    const p = compileSelectors<{ metadata?: { name?: string; labels?: Record<string, string> } }>(undefined, fs);
    return [hostNet, unset, explicitFalse].filter((o) => p?.(o) ?? true).map((o) => o.metadata.name);
  };
  it('an unset spec.hostNetwork reads "false", as a real API server renders it', () => {
    expect(names('spec.hostNetwork=false')).toEqual(['u', 'f']);
    expect(names('spec.hostNetwork!=true')).toEqual(['u', 'f']);
    expect(names('spec.hostNetwork=true')).toEqual(['h']);
  });
  it('an unset non-boolean field still reads empty', () => {
    expect(names('spec.nodeName=')).toEqual(['h', 'u', 'f']);
  });
});
