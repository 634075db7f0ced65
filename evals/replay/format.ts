/**
 * What `--target bundles:DIR` replays. DIR holds one directory per trial to replay, each an offline bundle
 * (`netharness bundle`'s layout, or an OpenShift must-gather) plus one of:
 *   replay.json    written by `netharness eval --capture DIR` after the trial's gate: the case id, the repeat,
 *                  the seed and the drawn targets (the truth comes from the case file at replay time, so a fixed
 *                  scorer or a corrected truth applies to old bundles);
 *   incident.yaml  hand-written for a real incident's must-gather: the question and the truth (the case format's
 *                  `truth`, evals/cases/schema.ts), no setup or fault (nothing is injected; the bundle is the state).
 * Neither file is in the bundle's manifest, so the MCP server serving the bundle never reads it: the agent sees
 * the bundle's objects, logs and DBs only.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { UsageError } from '../../harness/errors.ts';
import { LAYERS } from '../taxonomy.ts';
import { Truth } from '../cases/schema.ts';
import type { Bindings } from '../cases/targets.ts';

export const REPLAY_FILE = 'replay.json';
export const INCIDENT_FILE = 'incident.yaml';
export const REPLAY_VERSION = 1;

export const ReplayMeta = z.strictObject({
  version: z.literal(REPLAY_VERSION),
  kind: z.literal('netharness-replay'),
  caseId: z.string().min(1),
  repeat: z.number().int().min(1),
  seed: z.number().int().min(0),
  bindings: z.strictObject({
    seed: z.number().int(),
    values: z.record(z.string(), z.string()),
    pools: z.record(z.string(), z.array(z.string())),
  }),
  capturedAt: z.string(),
  /** the cluster it was captured from */
  source: z.string(),
});
export type ReplayMeta = z.output<typeof ReplayMeta>;

export const Incident = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and -'),
  title: z.string().min(1),
  /** for maintainers (the ticket, what happened); never shown to the agent */
  notes: z.string().optional(),
  tags: z
    .strictObject({
      layer: z.enum(LAYERS),
      difficulty: z.enum(['easy', 'medium', 'hard']).default('medium'),
      extra: z.array(z.string().min(1)).default([]),
    })
    .optional(),
  /** the question the agent gets: symptoms only */
  question: z.string().min(1),
  truth: Truth,
});
export type Incident = z.output<typeof Incident>;

export type ReplayEntry =
  { kind: 'captured'; dir: string; name: string; meta: ReplayMeta } | { kind: 'incident'; dir: string; name: string; incident: Incident };

function issues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** The replay entries of DIR, sorted by directory name; a bad file is a usage error naming it and the field. */
export function listReplays(dir: string): ReplayEntry[] {
  const d = resolve(dir);
  if (!existsSync(d) || !statSync(d).isDirectory())
    throw new UsageError(`--target bundles:${dir}: no directory at ${d}`, 'capture one with `netharness eval --capture DIR`');
  const out: ReplayEntry[] = [];
  for (const name of readdirSync(d).sort()) {
    const sub = join(d, name);
    if (!statSync(sub).isDirectory()) continue;
    const rf = join(sub, REPLAY_FILE);
    const inf = join(sub, INCIDENT_FILE);
    if (existsSync(rf)) {
      let raw: unknown;
      try {
        raw = JSON.parse(readFileSync(rf, 'utf8'));
      } catch (err) {
        throw new UsageError(`${rf}: not JSON (${(err as Error).message})`);
      }
      const p = ReplayMeta.safeParse(raw);
      if (!p.success) throw new UsageError(`${rf}: ${issues(p.error)}`);
      out.push({ kind: 'captured', dir: sub, name, meta: p.data });
    } else if (existsSync(inf)) {
      let raw: unknown;
      try {
        raw = YAML.parse(readFileSync(inf, 'utf8'));
      } catch (err) {
        throw new UsageError(`${inf}: not YAML (${(err as Error).message})`);
      }
      const p = Incident.safeParse(raw);
      if (!p.success) throw new UsageError(`${inf}: ${issues(p.error)}`);
      out.push({ kind: 'incident', dir: sub, name, incident: p.data });
    }
  }
  if (!out.length)
    throw new UsageError(
      `--target bundles:${dir}: no replay in ${d} (each subdirectory needs ${REPLAY_FILE} from --capture, or a hand-written ${INCIDENT_FILE})`,
    );
  return out;
}

export const bindingsOf = (m: ReplayMeta): Bindings => m.bindings as Bindings;
