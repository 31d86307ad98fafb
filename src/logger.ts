// Structured JSON logs (pino). Secrets never reach a log line: values under secret-named keys are replaced at
// any depth, and token-shaped text (Slack tokens, bearer headers, JWTs, kubeconfig credentials, PEM keys) is
// scrubbed from every string, including messages, child bindings and error messages/stacks.
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export interface LoggerOptions {
  /** pino level name: fatal, error, warn, info, debug, trace, silent. */
  level?: string;
  /** Where lines go; default stdout. Tests pass a stream to read the lines back. */
  destination?: DestinationStream;
  /** Fields added to every line (e.g. {service: 'ipvs-bot'}). */
  base?: Record<string, unknown>;
}

export const REDACTED = '[redacted]';

// Keys whose values are secret whatever they hold. `kubeconfig` too: it may hold file contents, not just a path.
const SECRET_KEY = /(token|secret|password|passwd|authorization|cookie|kubeconfig|private[-_]?key|client[-_]?key|api[-_]?key|audit[-_]?key|signature)/i;

const SECRET_TEXT: [RegExp, string][] = [
  // Patterns never swallow `"` or `\`, so applying them to a JSON line keeps it valid JSON.
  [/-----BEGIN [A-Z ]*PRIVATE KEY-----(?:[^"]*?-----END [A-Z ]*PRIVATE KEY-----|[^"]*)/g, REDACTED],
  [/\bxox[a-z]-[A-Za-z0-9-]+/g, REDACTED],
  [/\bxapp-[A-Za-z0-9-]+/g, REDACTED],
  [/\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+/gi, `$1 ${REDACTED}`],
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, REDACTED],
  // kubeconfig / YAML / query-string credentials: `token: abc`, `client-key-data: …`, `password=…`, "token":"…"
  [/((?:token|password|secret|client-key-data|client-certificate-data|authorization)["']?\s*[:=]\s*["']?)[^\s"',;&}\\]+/gi, `$1${REDACTED}`],
];

// Last line of defence on the serialised line: string values under secret-named keys, wherever pino put them
// (child bindings skip the log formatter).
const SECRET_JSON_VALUE = new RegExp(`"([^"\\\\]*${SECRET_KEY.source}[^"\\\\]*)":"(?:[^"\\\\]|\\\\.)*"`, 'gi');

export function scrubText(s: string): string {
  let out = s;
  for (const [re, by] of SECRET_TEXT) out = out.replace(re, by);
  return out;
}

/** Deep copy with secret-named keys replaced and strings scrubbed. Errors become plain {type, message, stack, …}. */
export function redact(value: unknown, depth = 0, seen = new WeakSet<object>()): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth > 8) return '[depth]';
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1, seen));
  if (value instanceof Error) {
    const e = value as Error & Record<string, unknown>;
    const out: Record<string, unknown> = { type: e.name, message: scrubText(e.message) };
    if (e.stack) out.stack = scrubText(e.stack);
    for (const [k, v] of Object.entries(e)) {
      // ApiException and fetch errors carry request headers and bodies: keep only the harmless fields.
      if (k === 'headers' || k === 'body' || k === 'request' || k === 'response' || k === 'config') continue;
      out[k] = SECRET_KEY.test(k) ? REDACTED : redact(v, depth + 1, seen);
    }
    if (e.cause !== undefined) out.cause = redact(e.cause, depth + 1, seen);
    return out;
  }
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Map) return redact(Object.fromEntries(value), depth, seen);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_KEY.test(k) && v !== undefined && v !== null && typeof v !== 'boolean' ? REDACTED : redact(v, depth + 1, seen);
  }
  return out;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  return pino(
    {
      level,
      base: opts.base ?? { service: 'ipvs-bot' },
      timestamp: pino.stdTimeFunctions.isoTime,
      messageKey: 'msg',
      formatters: {
        level: (label) => ({ level: label }),
        log: (obj) => redact(obj) as Record<string, unknown>,
      },
      // redact() already turned errors into plain, scrubbed objects; keep that shape.
      serializers: { err: (e: unknown) => e },
      hooks: {
        // Messages (also those pino takes from an Error), printf arguments and child bindings are all in the line.
        streamWrite: (line) => scrubText(line).replace(SECRET_JSON_VALUE, `"$1":"${REDACTED}"`),
      },
    },
    // Synchronous stdout by default: a crash must not lose the last lines before it.
    opts.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** The logger for one run: every line carries {run, cluster}. */
export function runLogger(parent: Logger, run: string, cluster: string): Logger {
  return parent.child({ run, cluster });
}

/** The logger for work on one cluster outside a run (doctor, startup checks). */
export function clusterLogger(parent: Logger, cluster: string): Logger {
  return parent.child({ cluster });
}
