/**
 * The price table of the model agents (evals/pricing.yaml, overridable with `--prices FILE`): USD per
 * million tokens per provider/model, validated by zod. `costUsd` prices one usage; a model with no entry
 * has no cost (undefined), never a made-up one.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { z } from 'zod';
import { UsageError } from '../harness/errors.ts';

const perMillion = z.number().min(0).max(100_000);

export const priceSchema = z
  .object({ input: perMillion, output: perMillion, cachedInput: perMillion.optional(), cacheWrite: perMillion.optional() })
  .strict();

export const priceTableSchema = z
  .object({
    asOf: z.string().optional(),
    currency: z.literal('USD').default('USD'),
    models: z.record(z.string().regex(/^[a-z0-9-]+\/\S+$/, 'keys are provider/model, e.g. openai/gpt-4o'), priceSchema),
  })
  .strict();

export type Price = z.output<typeof priceSchema>;
export type PriceTable = z.output<typeof priceTableSchema>;

export const DEFAULT_PRICES = join(import.meta.dirname, 'pricing.yaml');

function readTable(path: string, flag: string): PriceTable {
  let raw: unknown;
  try {
    raw = parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${path} as YAML: ${(err as Error).message}`);
  }
  const r = priceTableSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0]!;
    throw new UsageError(`${flag} ${path}: ${i.path.join('.') || '(top level)'}: ${i.message}`, 'see evals/pricing.yaml for the shape');
  }
  return r.data;
}

/** The built-in table, with the entries of `overridePath` replacing (or adding to) its models. */
export function loadPrices(overridePath?: string): PriceTable {
  const base = readTable(DEFAULT_PRICES, 'evals/pricing.yaml');
  if (!overridePath) return base;
  const o = readTable(resolve(overridePath), '--prices');
  return { asOf: o.asOf ?? base.asOf, currency: 'USD', models: { ...base.models, ...o.models } };
}

const DATED = /-(\d{4}-\d{2}-\d{2}|\d{8})$/;

export function priceOf(table: PriceTable, provider: string, model: string): Price | undefined {
  return table.models[`${provider}/${model}`] ?? table.models[`${provider}/${model.replace(DATED, '')}`];
}

export interface TokenCounts {
  inputTokens: number;
  outputTokens: number;
  /** of inputTokens: read from the provider's cache */
  cacheReadTokens?: number;
  /** of inputTokens: written to the cache */
  cacheWriteTokens?: number;
}

/** USD for one usage, rounded to a millionth of a dollar. */
export function costUsd(p: Price, u: TokenCounts): number {
  const read = u.cacheReadTokens ?? 0;
  const write = u.cacheWriteTokens ?? 0;
  const plain = Math.max(0, u.inputTokens - read - write);
  const usd = (plain * p.input + read * (p.cachedInput ?? p.input) + write * (p.cacheWrite ?? p.input) + u.outputTokens * p.output) / 1e6;
  return Math.round(usd * 1e6) / 1e6;
}

/** schemas/price-table.schema.json (`npm run schemas`): editors validate a --prices file with it. */
export const PRICE_TABLE_SCHEMA_FILE = 'price-table.schema.json';
export function renderPriceTableSchema(): string {
  const js = z.toJSONSchema(priceTableSchema, { io: 'input' }) as Record<string, unknown>;
  const out = { ...js, title: 'netharness price table', description: 'USD per million tokens per provider/model (evals/pricing.yaml).' };
  return `${JSON.stringify(out, null, 2)}\n`;
}
