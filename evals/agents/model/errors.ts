/**
 * What a provider error means for the trial (DEVELOPERS.md: infra errors are never wrong answers, and the
 * reverse):
 * - 401 / 403: a usage error naming the key's variable (OPENAI_API_KEY, ANTHROPIC_API_KEY): the run stops;
 * - 400 / 404 / 422: a usage error naming the setting the provider refused (--model, --max-output-tokens,
 *   --temperature, --base-url), except a full context window, which is the agent's own failure;
 * - 429 / 5xx after the retries (retry.ts), a connection error, a response that is not the protocol: an
 *   infra error (the trial is retried by the runner and never scored).
 * Every message is redacted: the key (and anything key-shaped) never reaches a log, the DB or a report.
 */
import { APICallError } from 'ai';
import { UsageError } from '../../../harness/errors.ts';
import { scrubString } from '../../../harness/store/scrub.ts';
import { AgentInfraError } from '../types.ts';

export interface ProviderInfo {
  /** 'openai' | 'anthropic' */
  label: string;
  keyVar: string;
  baseUrl: string;
  model: string;
}

/** The agent's own failure (the trial is scored on what it said so far). */
export class AgentOwnFailure extends Error {
  override name = 'AgentOwnFailure';
}

export function redact(s: string, secret: string | undefined): string {
  let out = s;
  if (secret && secret.length >= 4) out = out.split(secret).join('<redacted>');
  return scrubString(out);
}

const CONTEXT_FULL = /context[_ ]length|context window|maximum context|prompt is too long|too many (input )?tokens/i;

function refusedSetting(status: number, msg: string): string {
  if (/max[_ ]?(completion_|output_)?tokens/i.test(msg)) return '--max-output-tokens';
  if (/temperature/i.test(msg)) return '--temperature';
  if (/\bseed\b/i.test(msg)) return '--seed';
  if (/model/i.test(msg)) return '--model';
  if (status === 404) return '--base-url (and --model)';
  return '--model, --base-url, --temperature and --max-output-tokens';
}

function providerMessage(e: APICallError): string {
  // the SDK's message is the provider's error.message when the body had one
  const body = e.responseBody ?? '';
  let m = e.message;
  if (!m || /^Bad Request$|^Unauthorized$/i.test(m)) m = body.slice(0, 300) || `HTTP ${e.statusCode}`;
  return m;
}

/** Map an error thrown by generateText to UsageError / AgentInfraError / AgentOwnFailure (or rethrow an abort). */
export function classifyProviderError(err: unknown, p: ProviderInfo, key: string | undefined, attempts: number): Error {
  const r = (s: string) => redact(s, key);
  if ((err as Error)?.name === 'AbortError') return err as Error;
  const api = APICallError.isInstance(err)
    ? err
    : APICallError.isInstance((err as { cause?: unknown })?.cause)
      ? (err as { cause: APICallError }).cause
      : undefined;
  const host = (() => {
    try {
      return new URL(api?.url ?? p.baseUrl).host;
    } catch {
      return p.baseUrl;
    }
  })();
  if (api?.statusCode !== undefined) {
    const s = api.statusCode;
    const msg = r(providerMessage(api));
    if (s === 401 || s === 403)
      return new UsageError(
        `${p.label}: ${host} refused the API key (HTTP ${s}): ${msg}`,
        `set ${p.keyVar} to a valid key for ${p.baseUrl} (the key is read from the environment only)`,
      );
    if ((s === 400 || s === 413 || s === 422) && CONTEXT_FULL.test(msg))
      return new AgentOwnFailure(`${p.label}: the context window is full: ${msg}`);
    if (s === 400 || s === 404 || s === 422) {
      const setting = refusedSetting(s, msg);
      return new UsageError(`${p.label}: ${host} refused the request for model '${p.model}' (HTTP ${s}): ${msg}`, `check ${setting}`);
    }
    return new AgentInfraError(`${p.label}: HTTP ${s} from ${host} after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${msg}`);
  }
  const m = r(err instanceof Error ? `${err.name}: ${err.message}` : String(err));
  if (api) return new AgentInfraError(`${p.label}: cannot reach ${host} after ${attempts} attempts: ${m}`);
  return new AgentInfraError(`${p.label}: the provider's answer could not be used: ${m}`);
}
