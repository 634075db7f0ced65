import { describe, expect, it } from 'vitest';
import { InfraError } from '../../harness/errors.ts';
import { OVN_BINARIES, detectMissing, planInstall, whichOnPath } from '../../sim/ovn/packages.ts';

const all = new Set(Object.keys(OVN_BINARIES));
const whichFrom = (present: Set<string>) => (b: string) => (present.has(b) ? `/usr/bin/${b}` : undefined);
const yes = () => true;

describe('OVN package detection', () => {
  it('nothing missing -> no action', () => {
    const st = detectMissing(whichFrom(all), yes);
    expect(st).toEqual({ missing: [], missingIp: false, missingSchemas: [] });
    expect(planInstall(st, { isRoot: false, hasApt: false })).toEqual({ action: 'none' });
  });

  it('missing ovn-northd as root with apt -> install the three packages', () => {
    const present = new Set(all);
    present.delete('ovn-northd');
    const st = detectMissing(whichFrom(present), yes);
    expect(st.missing).toEqual(['ovn-northd']);
    expect(planInstall(st, { isRoot: true, hasApt: true })).toEqual({
      action: 'install',
      packages: ['ovn-central', 'ovn-host', 'openvswitch-switch'],
    });
  });

  it('missing schema counts as missing', () => {
    const st = detectMissing(whichFrom(all), (p) => !p.includes('ovn-sb'));
    expect(st.missingSchemas).toEqual(['/usr/share/ovn/ovn-sb.ovsschema']);
    expect(planInstall(st, { isRoot: true, hasApt: true }).action).toBe('install');
  });

  it('not root -> InfraError naming packages and the exact command', () => {
    const st = detectMissing(whichFrom(new Set(['ip'])), yes);
    const plan = planInstall(st, { isRoot: false, hasApt: true });
    expect(plan.action).toBe('fail');
    if (plan.action !== 'fail') return;
    expect(plan.error).toBeInstanceOf(InfraError);
    expect(plan.error.message).toContain('ovn-central ovn-host openvswitch-switch');
    expect(plan.error.message).toContain('not running as root');
    expect(plan.error.hint).toContain('apt-get install -y ovn-central ovn-host openvswitch-switch');
  });

  it('root without apt -> InfraError', () => {
    const plan = planInstall(detectMissing(whichFrom(new Set()), yes), { isRoot: true, hasApt: false });
    expect(plan.action).toBe('fail');
    if (plan.action === 'fail') expect(plan.error.message).toMatch(/apt-get not found.*/);
    if (plan.action === 'fail') expect(plan.error.message).toContain('iproute2');
  });

  it('whichOnPath finds sbin binaries even with a narrow PATH', () => {
    expect(whichOnPath('ovsdb-server', '/nonexistent')).toMatch(/sbin\/ovsdb-server$/);
    expect(whichOnPath('definitely-not-a-binary-xyz')).toBeUndefined();
  });
});
