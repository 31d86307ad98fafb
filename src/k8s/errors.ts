// The one error type of the Kubernetes boundary. Everything client-node or fetch throws is normalised
// here exactly once (toK8sError), so callers branch on `kind` and `retryable`, never on message text.

export type K8sErrorKind =
  | 'NotFound' | 'Conflict' | 'Forbidden' | 'Invalid' | 'Unauthorized' | 'Transient' | 'Timeout' | 'Unknown';

export interface K8sErrorInit {
  kind: K8sErrorKind;
  /** HTTP status, 0 when the request never got an answer. */
  status: number;
  /** `reason` of the Kubernetes Status body (e.g. AlreadyExists, Conflict, Expired), or a network code. */
  reason?: string;
  retryable: boolean;
  /** Seconds the server asked us to wait (429 / 503 Retry-After). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

export class K8sError extends Error {
  readonly kind: K8sErrorKind;
  readonly status: number;
  readonly reason?: string;
  readonly retryable: boolean;
  readonly retryAfterSeconds?: number;

  constructor(message: string, init: K8sErrorInit) {
    super(scrub(message), { cause: init.cause });
    this.name = 'K8sError';
    this.kind = init.kind;
    this.status = init.status;
    if (init.reason !== undefined) this.reason = init.reason;
    this.retryable = init.retryable;
    if (init.retryAfterSeconds !== undefined) this.retryAfterSeconds = init.retryAfterSeconds;
  }

  /** 409 AlreadyExists (create of an existing object), as opposed to a stale-resourceVersion Conflict. */
  get alreadyExists(): boolean { return this.status === 409 && this.reason === 'AlreadyExists'; }
  /** 410 Gone: a watch or list resourceVersion too old; re-list. */
  get expired(): boolean { return this.status === 410 || this.reason === 'Expired' || this.reason === 'Gone'; }
}

interface StatusBody { message?: string; reason?: string; code?: number }

// Network failures worth another try: the request may not have reached the server, or the answer was lost.
const RETRYABLE_NET = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED',
  'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'ERR_STREAM_PREMATURE_CLOSE',
]);

/** Normalise anything thrown by client-node 1.x (ApiException), node-fetch (FetchError, AbortError) or our own code. */
export function toK8sError(e: unknown, context?: string): K8sError {
  if (e instanceof K8sError) return e;
  const prefix = context ? `${context}: ` : '';
  const err = (typeof e === 'object' && e !== null ? e : {}) as Record<string, unknown>;

  // client-node ApiException: { code: number, body: string | object | undefined, headers }
  const code = typeof err.code === 'number' ? err.code : typeof err.statusCode === 'number' ? err.statusCode : undefined;
  if (code !== undefined && code >= 100) {
    const status = parseStatus(err.body);
    const headers = (err.headers ?? {}) as Record<string, string>;
    const retryAfter = Number(headers['retry-after']);
    const message = status?.message ?? httpText(code);
    return fromHttp(code, `${prefix}${message}`, status?.reason, Number.isFinite(retryAfter) ? retryAfter : undefined, e);
  }

  const name = typeof err.name === 'string' ? err.name : '';
  const netCode = typeof err.code === 'string' ? err.code
    : typeof (err.cause as Record<string, unknown> | undefined)?.code === 'string' ? (err.cause as { code: string }).code : undefined;
  const message = e instanceof Error ? e.message : String(e);
  if (name === 'AbortError' || name === 'TimeoutError' || netCode === 'ETIMEDOUT' || err.type === 'request-timeout') {
    return new K8sError(`${prefix}request timed out`, { kind: 'Timeout', status: 0, reason: netCode ?? name, retryable: true, cause: e });
  }
  if (netCode && RETRYABLE_NET.has(netCode)) {
    return new K8sError(`${prefix}cannot reach the API server (${netCode})`, { kind: 'Transient', status: 0, reason: netCode, retryable: true, cause: e });
  }
  if (name === 'FetchError' || /socket hang up|premature close/i.test(message)) {
    return new K8sError(`${prefix}connection to the API server failed`, { kind: 'Transient', status: 0, reason: netCode ?? 'FetchError', retryable: true, cause: e });
  }
  return new K8sError(`${prefix}${message}`, { kind: 'Unknown', status: 0, ...(netCode ? { reason: netCode } : {}), retryable: false, cause: e });
}

/** Map an HTTP status (and the Status reason) to a kind and a retry decision. */
export function fromHttp(code: number, message: string, reason?: string, retryAfterSeconds?: number, cause?: unknown): K8sError {
  const base = { status: code, ...(reason ? { reason } : {}), ...(retryAfterSeconds !== undefined ? { retryAfterSeconds } : {}), cause };
  switch (true) {
    case code === 401: return new K8sError(message, { ...base, kind: 'Unauthorized', retryable: false });
    case code === 403: return new K8sError(message, { ...base, kind: 'Forbidden', retryable: false });
    case code === 404: return new K8sError(message, { ...base, kind: 'NotFound', retryable: false });
    // A 409 means a precondition or an existing object: the caller must decide, blind retries would hide it.
    case code === 409: return new K8sError(message, { ...base, kind: 'Conflict', retryable: false });
    case code === 400 || code === 415 || code === 422: return new K8sError(message, { ...base, kind: 'Invalid', retryable: false });
    case code === 408 || code === 504 || reason === 'Timeout':
      return new K8sError(message, { ...base, kind: 'Timeout', retryable: true });
    case code === 429 || code >= 500: return new K8sError(message, { ...base, kind: 'Transient', retryable: true });
    default: return new K8sError(message, { ...base, kind: 'Unknown', retryable: false });
  }
}

function parseStatus(body: unknown): StatusBody | undefined {
  let b: unknown = body;
  if (typeof body === 'string') {
    try { b = JSON.parse(body); } catch { return body.trim() ? { message: body.trim().slice(0, 300) } : undefined; }
  }
  if (typeof b !== 'object' || b === null) return undefined;
  const s = b as Record<string, unknown>;
  return {
    ...(typeof s.message === 'string' ? { message: s.message } : {}),
    ...(typeof s.reason === 'string' ? { reason: s.reason } : {}),
    ...(typeof s.code === 'number' ? { code: s.code } : {}),
  };
}

function httpText(code: number): string {
  return code === 401 ? 'Unauthorized: the API server rejected the credentials' : `HTTP ${code}`;
}

// Defence in depth: a message must never carry a credential even if some library put one there.
function scrub(message: string): string {
  return message
    .replace(/(bearer\s+)[A-Za-z0-9._~+/=-]+/gi, '$1[redacted]')
    .replace(/(token[=:]\s*)[A-Za-z0-9._~+/=-]+/gi, '$1[redacted]');
}
