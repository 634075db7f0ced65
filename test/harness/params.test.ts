import { describe, it, expect } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { resolveParams, describeParams } from '../../harness/runner/params.ts';
import { tempDir } from '../support/tmp.ts';
import { usageMessage as usage } from '../support/usage.ts';

const schema = z.object({
  eips: z.number().int().min(1).default(10),
  ipStack: z.enum(['ipv4', 'ipv6', 'dual']).default('ipv4'),
  scenarios: z
    .array(z.enum(['node-reboot', 'ovn-pod-restart']))
    .min(1)
    .default(['node-reboot', 'ovn-pod-restart']),
  flag: z.boolean().default(false),
  name: z.string().default('x'),
});

const file = (text: string): string => {
  const p = join(tempDir('nh-params-'), 'p.yaml');
  writeFileSync(p, text);
  return p;
};

describe('params', () => {
  it('defaults, quick, file and --param layer in that order', () => {
    expect(resolveParams(schema)).toEqual({
      eips: 10,
      ipStack: 'ipv4',
      scenarios: ['node-reboot', 'ovn-pod-restart'],
      flag: false,
      name: 'x',
    });
    const p = resolveParams(schema, {
      quick: { eips: 2 },
      file: file('eips: 3\nipStack: dual\n'),
      pairs: ['flag=yes', 'scenarios=ovn-pod-restart', 'name=123'],
    });
    expect(p).toEqual({ eips: 3, ipStack: 'dual', scenarios: ['ovn-pod-restart'], flag: true, name: '123' });
    expect(resolveParams(schema, { quick: { eips: 2 }, pairs: ['eips=5'] }).eips).toBe(5);
    expect(resolveParams(schema, { pairs: ['scenarios=[node-reboot]'] }).scenarios).toEqual(['node-reboot']);
  });

  it('rejects bad types, naming the param and the expectation', () => {
    expect(usage(() => resolveParams(schema, { pairs: ['eips=abc'] }))).toMatch(
      /--param eips=abc: expected integer|--param eips=abc: expected number/,
    );
    expect(usage(() => resolveParams(schema, { pairs: ['eips='] }))).toMatch(/eips/);
    expect(usage(() => resolveParams(schema, { pairs: ['eips=1.5'] }))).toMatch(/--param eips.*(integer|int)/i);
    expect(usage(() => resolveParams(schema, { pairs: ['eips=0'] }))).toMatch(/--param eips.*>=\s*1|--param eips.*too small/i);
    expect(usage(() => resolveParams(schema, { pairs: ['ipStack=ipv5'] }))).toMatch(/--param ipStack.*one of ipv4\|ipv6\|dual/);
    expect(usage(() => resolveParams(schema, { pairs: ['scenarios=node-reboot,chaos'] }))).toMatch(/--param scenarios at scenarios\.1/);
    expect(usage(() => resolveParams(schema, { pairs: ['scenarios='] }))).toMatch(/scenarios/);
    expect(usage(() => resolveParams(schema, { pairs: ['flag=maybe'] }))).toMatch(/--param flag=maybe: expected boolean/);
    expect(usage(() => resolveParams(schema, { file: file('eips: "ten"\n') }))).toMatch(/--params .*p\.yaml.*eips/);
  });

  it('rejects unknown params from --param and from the file', () => {
    expect(usage(() => resolveParams(schema, { pairs: ['pods=1'] }))).toMatch(/unknown param 'pods'/);
    expect(usage(() => resolveParams(schema, { file: file('eips: 1\npods: 2\n') }))).toMatch(/unknown param 'pods'/);
    expect(usage(() => resolveParams(schema, { pairs: ['noequals'] }))).toMatch(/expected k=v/);
    expect(usage(() => resolveParams(schema, { pairs: ['=3'] }))).toMatch(/expected k=v/);
  });

  it('rejects bad YAML files', () => {
    expect(usage(() => resolveParams(schema, { file: file('eips: [1,\n') }))).toMatch(/invalid YAML/);
    expect(usage(() => resolveParams(schema, { file: file('- 1\n- 2\n') }))).toMatch(/expected a mapping/);
    expect(usage(() => resolveParams(schema, { file: file('42\n') }))).toMatch(/expected a mapping/);
    expect(usage(() => resolveParams(schema, { file: file('eips: 1\neips: 2\n') }))).toMatch(/invalid YAML/);
    expect(usage(() => resolveParams(schema, { file: '/nonexistent/p.yaml' }))).toMatch(/cannot read/);
    expect(resolveParams(schema, { file: file('') }).eips).toBe(10);
  });

  it('describes params', () => {
    expect(describeParams(schema)[0]).toEqual({ name: 'eips', expected: 'number', default: 10 });
  });
});
