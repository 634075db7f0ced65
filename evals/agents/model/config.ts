/**
 * The settings of a model agent, from `--agent-param k=v` (the eval command's --model, --base-url,
 * --temperature, --max-output-tokens, --system-prompt, --prices and --provider flags become these
 * params: harness/commands/eval.ts). Validated by zod; a bad value is a usage error naming the flag.
 * The API key is not a setting: it is read from OPENAI_API_KEY / ANTHROPIC_API_KEY / OPENAI_COMPATIBLE_API_KEY only.
 */
import { z } from 'zod';
import { UsageError } from '../../../harness/errors.ts';
import { DEFAULT_RETRY, type RetryPolicy } from './retry.ts';

export type ProviderName = 'openai' | 'anthropic' | 'openai-compatible';

/** baseUrl '': no default, --base-url is required (an OpenAI-compatible server is always someone's own) */
export const PROVIDERS: Record<ProviderName, { keyVar: string; baseUrl: string }> = {
  openai: { keyVar: 'OPENAI_API_KEY', baseUrl: 'https://api.openai.com/v1' },
  anthropic: { keyVar: 'ANTHROPIC_API_KEY', baseUrl: 'https://api.anthropic.com/v1' },
  'openai-compatible': { keyVar: 'OPENAI_COMPATIBLE_API_KEY', baseUrl: '' },
};

/** param name -> the flag a user types (error messages name the flag) */
export const FLAG: Record<string, string> = {
  provider: '--provider',
  model: '--model',
  baseUrl: '--base-url',
  temperature: '--temperature',
  maxOutputTokens: '--max-output-tokens',
  systemPrompt: '--system-prompt',
  prices: '--prices',
  retries: '--agent-param retries',
  retryBaseMs: '--agent-param retryBaseMs',
  retryMaxWaitMs: '--agent-param retryMaxWaitMs',
};

const num = (min: number, max: number, int = false) =>
  z
    .string()
    .regex(int ? /^\d+$/ : /^-?\d+(\.\d+)?$/, int ? 'expected an integer' : 'expected a number')
    .transform(Number)
    .pipe(z.number().min(min).max(max));

const url = z
  .string()
  .url('expected a URL such as http://127.0.0.1:8000/v1')
  .refine((u) => /^https?:$/.test(new URL(u).protocol), 'expected http:// or https://')
  .refine((u) => !new URL(u).username && !new URL(u).password, 'no credentials in the URL: the key goes in the environment')
  .transform((u) => u.replace(/\/+$/, ''));

const paramsSchema = z
  .object({
    provider: z.enum(['openai', 'anthropic', 'openai-compatible']).optional(),
    model: z.string().min(1).max(200),
    baseUrl: url.optional(),
    temperature: num(0, 2).optional(),
    maxOutputTokens: num(1, 1_000_000, true).optional(),
    systemPrompt: z.string().min(1).optional(),
    prices: z.string().min(1).optional(),
    retries: num(0, 20, true).optional(),
    retryBaseMs: num(1, 600_000, true).optional(),
    retryMaxWaitMs: num(1, 3_600_000, true).optional(),
  })
  .strict();

export interface ModelSettings {
  provider: ProviderName;
  model: string;
  baseUrl: string;
  /** the base URL was given (a local server may need no key) */
  customBaseUrl: boolean;
  keyVar: string;
  temperature?: number;
  maxOutputTokens?: number;
  systemPrompt?: string;
  prices?: string;
  retry: RetryPolicy;
}

/** Parse the params of `--agent <fixed>` (openai, anthropic) or `--agent no-tools` (provider from --provider). */
export function parseModelParams(agent: string, fixed: ProviderName | undefined, params: Record<string, string>): ModelSettings {
  const r = paramsSchema.safeParse(params);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const key = String(i.path[0] ?? '');
    if (i.code === 'unrecognized_keys') {
      const k = (i as { keys?: string[] }).keys?.[0] ?? '';
      const hint = /key|token|secret/i.test(k)
        ? `; keys are read from ${Object.values(PROVIDERS)
            .map((p) => p.keyVar)
            .join(' / ')} only`
        : '';
      throw new UsageError(
        `--agent-param ${k}: --agent ${agent} takes no such parameter${hint}`,
        `parameters: ${Object.keys(FLAG).join(', ')}`,
      );
    }
    if (key === 'model' && i.code === 'invalid_type')
      throw new UsageError(`--model: --agent ${agent} needs a model name (e.g. --model gpt-4o)`);
    throw new UsageError(`${FLAG[key] ?? key}: ${i.message}, got '${params[key]}'`);
  }
  const p = r.data;
  if (fixed && p.provider && p.provider !== fixed) throw new UsageError(`--provider: --agent ${agent} always uses ${fixed}`);
  const provider = fixed ?? p.provider ?? 'openai';
  const d = PROVIDERS[provider];
  if (!d.baseUrl && p.baseUrl === undefined)
    throw new UsageError(
      `--base-url: --agent ${agent}${fixed ? '' : ` --provider ${provider}`} needs the server's base URL (e.g. http://127.0.0.1:8000/v1)`,
    );
  return {
    provider,
    model: p.model,
    baseUrl: p.baseUrl ?? d.baseUrl,
    customBaseUrl: p.baseUrl !== undefined,
    keyVar: d.keyVar,
    temperature: p.temperature,
    maxOutputTokens: p.maxOutputTokens,
    systemPrompt: p.systemPrompt,
    prices: p.prices,
    retry: {
      retries: p.retries ?? DEFAULT_RETRY.retries,
      baseMs: p.retryBaseMs ?? DEFAULT_RETRY.baseMs,
      maxWaitMs: p.retryMaxWaitMs ?? DEFAULT_RETRY.maxWaitMs,
    },
  };
}

/** The key from the environment. Missing: a usage error, except for a custom base URL (a local server). */
export function readKey(s: ModelSettings, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const k = env[s.keyVar]?.trim();
  if (k) return k;
  if (s.customBaseUrl) return undefined;
  throw new UsageError(
    `${s.keyVar} is not set: ${s.provider} at ${s.baseUrl} needs an API key`,
    `export ${s.keyVar}=... (never pass it as a flag or parameter)`,
  );
}
