// Secrets never reach the audit store: values under secret-looking keys are replaced, and strings that look
// like Slack tokens or bearer credentials are masked wherever they appear.
const SECRET_KEY = /token|secret|password|passwd|kubeconfig|authorization|credential|private[-_]?key|signing/i;
const SECRET_VALUE = /\b(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|Bearer\s+[A-Za-z0-9._~+/=-]+)/g;

export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 20) return '[TRUNCATED]';
  if (typeof value === 'string') return value.replace(SECRET_VALUE, '[REDACTED]');
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) ? '[REDACTED]' : redactSecrets(v, depth + 1);
    return out;
  }
  return value;
}
