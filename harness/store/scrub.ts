/**
 * Secrets never reach the database: values under secret-looking keys are replaced, and
 * token-looking strings (bearer tokens, JWTs, kubeconfig credential fields) are redacted anywhere.
 */
const SECRET_KEY =
  /(token|password|passwd|secret|credential|api[-_]?key|private[-_]?key|client-key|client-certificate-data|authorization|bearer)/i;
const JWT = /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\b/g;
const BEARER = /\b(Bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi;
const SHA256_TOKEN = /\bsha256~[A-Za-z0-9_-]{20,}\b/g; // OpenShift OAuth tokens
const KUBECONFIG_FIELD = /((?:token|client-key-data|client-certificate-data|password)\s*:\s*)\S+/gi;

export const REDACTED = '<redacted>';

export function scrubString(s: string): string {
  return s
    .replace(JWT, REDACTED)
    .replace(BEARER, `$1${REDACTED}`)
    .replace(SHA256_TOKEN, REDACTED)
    .replace(KUBECONFIG_FIELD, `$1${REDACTED}`);
}

export function scrubSecrets<T>(value: T, depth = 0): T {
  if (depth > 32) return value;
  if (typeof value === 'string') return scrubString(value) as T;
  if (Array.isArray(value)) return value.map((v) => scrubSecrets(v, depth + 1)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      out[k] = SECRET_KEY.test(k) && v !== null && v !== undefined && v !== '' ? REDACTED : scrubSecrets(v, depth + 1);
    }
    return out as T;
  }
  return value;
}
