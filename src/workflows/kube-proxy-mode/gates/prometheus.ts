// The SLO gate's Prometheus side: one range query per check over the batch's window, through the HTTP API's
// /api/v1/query_range (https://prometheus.io/docs/prometheus/latest/querying/api/#range-queries): the answer is
// {status: "success", data: {resultType: "matrix", result: [{metric, values: [[<unix s>, "<value>"], ...]}]}},
// or {status: "error", errorType, error}. Sample values are strings ("NaN", "+Inf" included).
import type { CheckResult } from '../check-outcome.js';
import type { SloCheck } from './gate-config.js';

interface Series { metric: Record<string, string>; values: [number, string][] }

/** Prometheus refuses more than 11,000 points per series; ~300 keeps the answer small. */
export function stepSeconds(startMs: number, endMs: number): number {
  return Math.max(1, Math.ceil((endMs - startMs) / 1000 / 300));
}

export async function queryRange(url: string, query: string, startMs: number, endMs: number, signal?: AbortSignal): Promise<Series[] | string> {
  const params = new URLSearchParams({
    query, start: (startMs / 1000).toFixed(3), end: (endMs / 1000).toFixed(3), step: `${stepSeconds(startMs, endMs)}s`,
  });
  let res: Response;
  try {
    res = await fetch(`${url}/api/v1/query_range`, {
      method: 'POST', body: params, headers: { 'content-type': 'application/x-www-form-urlencoded' },
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(15_000)]) : AbortSignal.timeout(15_000),
    });
  } catch (e) {
    return `Prometheus at ${url} did not answer (${e instanceof Error ? e.message : String(e)})`;
  }
  let body: { status?: string; error?: string; errorType?: string; data?: { resultType?: string; result?: unknown } };
  try { body = await res.json() as typeof body; } catch { return `Prometheus answered HTTP ${res.status} without JSON`; }
  if (body.status !== 'success') return `Prometheus refused the query (HTTP ${res.status}, ${body.errorType ?? 'error'}: ${body.error ?? 'no detail'})`;
  if (body.data?.resultType !== 'matrix' || !Array.isArray(body.data.result)) return `Prometheus answered a ${body.data?.resultType ?? 'missing'} result, not a matrix`;
  return (body.data.result as { metric?: Record<string, string>; values?: [number, string][] }[])
    .map((s) => ({ metric: s.metric ?? {}, values: Array.isArray(s.values) ? s.values : [] }));
}

const labelText = (m: Record<string, string>): string => {
  const pairs = Object.entries(m).map(([k, v]) => `${k}="${v}"`);
  return pairs.length ? `{${pairs.join(', ')}}` : '{}';
};

/**
 * pass / fail / inconclusive for one check: fail when some series breaches the threshold on consecutive samples
 * spanning at least `forMs` (any one sample when 0, like an alerting rule's `for`); inconclusive when nothing
 * could be judged (error, empty result, only NaN).
 */
export function judge(check: SloCheck, series: Series[] | string): CheckResult {
  const name = `prometheus:${check.name}`;
  if (typeof series === 'string') return { name, outcome: 'inconclusive', detail: series };
  const limit = check.max !== undefined ? `max ${check.max}` : `min ${check.min}`;
  const breaches = (v: number) => (check.max !== undefined ? v > check.max : v < check.min!);
  let samples = 0;
  let worst: { value: number; metric: Record<string, string> } | undefined;
  for (const s of series) {
    let runStart: number | undefined;
    for (const [t, raw] of s.values) {
      const v = Number(raw);
      if (Number.isNaN(v)) { runStart = undefined; continue; }
      samples++;
      if (!worst || (check.max !== undefined ? v > worst.value : v < worst.value)) worst = { value: v, metric: s.metric };
      if (!breaches(v)) { runStart = undefined; continue; }
      runStart ??= t;
      if ((t - runStart) * 1000 >= check.forMs) {
        return { name, outcome: 'fail', detail: `${check.query} = ${v} at ${new Date(t * 1000).toISOString()} on ${labelText(s.metric)} (${limit}${check.forMs ? ` for ${check.forMs / 1000}s` : ''})` };
      }
    }
  }
  if (samples === 0) {
    return { name, outcome: 'inconclusive', detail: series.length === 0 ? `${check.query} returned no series` : `${check.query} returned only NaN` };
  }
  return { name, outcome: 'pass', detail: `${check.query}: worst ${worst!.value} (${limit}) over ${series.length} series` };
}
