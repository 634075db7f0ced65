import { describe, it, expect } from 'vitest';
import { readOnlyArgvProblem } from '../../mcp/argv-guard.ts';
import { NB_READ_ARGV } from '../../harness/checks/egressip/collect.ts';

describe("argv guard: ovn-nbctl commands chained with '--'", () => {
  it("allows the EgressIP check's one NB read (four list commands, per-command --columns)", () => {
    expect(readOnlyArgvProblem(NB_READ_ARGV)).toBeUndefined();
    expect(readOnlyArgvProblem(['ovn-sbctl', '--format=json', '--', 'list', 'Chassis', '--', 'list', 'Port_Binding'])).toBeUndefined();
  });

  it.each([
    ['a write after a read', ['ovn-nbctl', '--', 'list', 'NAT', '--', 'lr-nat-add', 'GR_a', 'snat', '1.2.3.4', '10.0.0.1']],
    ['a write first', ['ovn-nbctl', '--', 'lr-del', 'GR_a', '--', 'list', 'NAT']],
    ['a db-ctl write verb', ['ovn-nbctl', '--format=json', '--', 'destroy', 'NAT', 'x']],
    ['set in the middle', ['ovn-nbctl', '--', 'list', 'NAT', '--', 'set', 'NAT', 'x', 'type=dnat', '--', 'list', 'NAT']],
    ['an empty command', ['ovn-nbctl', '--', 'list', 'NAT', '--', '--']],
    ['a trailing separator', ['ovn-nbctl', '--', 'list', 'NAT', '--']],
    ['a positional before the first separator', ['ovn-nbctl', 'list', '--', 'list', 'NAT']],
    ['an unknown global option', ['ovn-nbctl', '--db=tcp:1.2.3.4:6641', '--', 'list', 'NAT']],
    ['an option-only command', ['ovn-nbctl', '--', '--columns=name']],
    ['a shell smuggled through a chain', ['sh', '-c', 'true', '--', 'list']],
    ['a non-chainable tool', ['ovs-vsctl', '--', 'show']],
    ['too many commands', ['ovn-nbctl', ...Array.from({ length: 9 }, () => ['--', 'list', 'NAT']).flat()]],
  ])('refuses %s', (_what, argv) => {
    expect(readOnlyArgvProblem(argv)).toBeTypeOf('string');
  });
});
