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
// well-known token shapes, wherever they appear (a bare token passed as a param value, pasted in an error)
const KNOWN_TOKENS =
  /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{40,}|sk-(?:ant-)?[A-Za-z0-9_-]{20,}|xox[abposr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|glpat-[A-Za-z0-9_-]{20,}|AIza[0-9A-Za-z_-]{35})\b/g;
// a bare high-entropy token: 32+ base64url characters mixing upper case, lower case and digits (the sim's and
// most API tokens). Hex digests, uuids, names and paths never mix all three without separators.
const BARE_TOKEN = /(?<![A-Za-z0-9_\-/.])[A-Za-z0-9_-]{32,}={0,2}(?![A-Za-z0-9_\-/.])/g;
const mixed = (t: string): boolean => /[A-Z]/.test(t) && /[a-z]/.test(t) && (t.match(/[0-9]/g) ?? []).length >= 2;

export const REDACTED = '<redacted>';

export function scrubString(s: string): string {
  return s
    .replace(JWT, REDACTED)
    .replace(BEARER, `$1${REDACTED}`)
    .replace(SHA256_TOKEN, REDACTED)
    .replace(KUBECONFIG_FIELD, `$1${REDACTED}`)
    .replace(KNOWN_TOKENS, REDACTED)
    .replace(BARE_TOKEN, (t) => (mixed(t) ? REDACTED : t));
}

export function scrubSecrets<T>(value: T, depth = 0): T {
  if (depth > 32) return value;
  if (typeof value === 'string') return scrubString(value) as T;
  if (Array.isArray(value)) return value.map((v) => scrubSecrets(v, depth + 1)) as T;
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      // A number or boolean under a secret-looking key is a count or a flag (inputTokens, maxTokens, tokenRequired),
      // never a credential: only strings and structures under such keys are redacted.
      const secretShaped = v !== null && v !== undefined && v !== '' && typeof v !== 'number' && typeof v !== 'boolean';
      out[k] = SECRET_KEY.test(k) && secretShaped ? REDACTED : scrubSecrets(v, depth + 1);
    }
    return out as T;
  }
  return value;
}
