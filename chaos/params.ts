/**
 * zod building blocks of the chaos templates' params (chaos/kinds/*.ts): Kubernetes names, Go
 * durations, Chaos Mesh's numbers-as-strings, mode + value, and the params every template shares.
 */
import { z } from 'zod';
import { parseGoDuration } from './fields.ts';
import { MODES } from './selector.ts';

const NAME_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** An RFC 1123 name (namespaces, nodes, chaos objects). */
export const k8sName = (what: string) =>
  z
    .string()
    .min(1, `${what} must not be empty`)
    .max(63, `${what} must be at most 63 characters`)
    .regex(NAME_RE, `${what} must be a lowercase RFC 1123 name (a-z, 0-9, '-', '.')`);

export const goDuration = z.string().refine((s) => parseGoDuration(s) !== undefined && (parseGoDuration(s) ?? -1) > 0, {
  message: 'must be a positive Go duration like "30s", "5m" or "1m30s"',
});
export const signedGoDuration = z
  .string()
  .refine((s) => parseGoDuration(s) !== undefined, { message: 'must be a Go duration like "-10m" or "1h"' });
/** Chaos Mesh keeps percentages and correlations as strings ("25"); a number is accepted and stringified. */
export const numericString = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .refine((s) => /^\d+(\.\d+)?$/.test(s), { message: 'must be a number like "25"' });
export const stringList = z.array(z.string().min(1));

/** Params of every template: the object's name and namespace, and the targets' namespace and app label. */
export const commonParams = {
  name: k8sName('name').optional(),
  namespace: k8sName('namespace').default('chaos-mesh'),
  targetNamespace: k8sName('targetNamespace').default('openshift-ovn-kubernetes'),
  app: z.string().min(1).default('ovnkube-node'),
};

/** mode + value (value is a count for fixed, a percentage for the percent modes). */
export const modeValueParams = {
  mode: z.enum(MODES).default('one'),
  value: z
    .union([z.string(), z.number().int()])
    .transform((v) => String(v))
    .default('1'),
};

/** The app's pods, optionally only on some nodes (`nodes: []` = every node). */
export const onNodesParams = { ...commonParams, ...modeValueParams, nodes: stringList.default([]) };
