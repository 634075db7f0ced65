/**
 * The Schedule (chaos-mesh.org/v1alpha1): runs the embedded spec of any chaos kind on a cron schedule.
 * Its template and params; validation lives in chaos/model.ts (it embeds a kind's spec).
 * Upstream: chaos-mesh api/v1alpha1/schedule_types.go, schedule_webhook.go.
 */
import { z } from 'zod';
import { cronError } from './cron.ts';
import { PRINTER, chaosManifest, type PrinterColumn } from './kind.ts';
import { k8sName } from './params.ts';

export const scheduleParams = z.object({
  name: k8sName('name').optional(),
  namespace: k8sName('namespace').optional(),
  schedule: z
    .string()
    .refine((s) => !cronError(s), { message: 'must be 5-field cron (m h dom mon dow), a descriptor (@hourly) or "@every 30s"' }),
  historyLimit: z.number().int().min(1).default(1),
  concurrencyPolicy: z.enum(['Forbid', 'Allow']).default('Forbid'),
});

/** `{{ specKey }}` is the kind's scheduleKey (podChaos, networkChaos, ...); `{{ spec }}` a rendered spec of any template. */
export const SCHEDULE_MANIFEST = chaosManifest(
  'Schedule',
  'schedule: {{ schedule }}',
  'type: {{ type }}',
  'historyLimit: {{ historyLimit }}',
  'concurrencyPolicy: {{ concurrencyPolicy }}',
  '{{ specKey }}: {{ spec }}',
);

/** The Schedule CRD's spec schema and printer columns (sim/api/crds/chaos-mesh.org.yaml). */
export const SCHEDULE_CRD: { required: string[]; properties: Record<string, unknown>; printerColumns: PrinterColumn[] } = {
  required: ['schedule', 'type'],
  properties: {
    schedule: { type: 'string' },
    type: { type: 'string' },
    concurrencyPolicy: { type: 'string', enum: ['Forbid', 'Allow'] },
    historyLimit: { type: 'integer', minimum: 1 },
    startingDeadlineSeconds: { type: 'integer', minimum: 0 },
  },
  printerColumns: [
    { name: 'schedule', type: 'string', jsonPath: '.spec.schedule' },
    { name: 'type', type: 'string', jsonPath: '.spec.type' },
    PRINTER.age,
  ],
};
