// Alertmanager API v2 (api/v2/openapi.yaml in prometheus/alertmanager): GET /api/v2/alerts?filter=…&active=…
// &silenced=…&inhibited=… lists alerts; POST /api/v2/silences {matchers, startsAt, endsAt, createdBy, comment}
// answers {silenceID}; GET /api/v2/silences?filter=… lists silences with status.state; DELETE
// /api/v2/silence/{id} expires one.
import { matcherText, type Matcher } from './matchers.js';

export const CREATED_BY = 'ipvs-bot';

async function call(url: string, init: RequestInit & { signal?: AbortSignal } = {}): Promise<Response> {
  const signal = init.signal ? AbortSignal.any([init.signal, AbortSignal.timeout(15_000)]) : AbortSignal.timeout(15_000);
  return fetch(url, { ...init, signal });
}

/** Firing alerts (not silenced, not inhibited) that match every matcher, or an error sentence. */
export async function firingAlerts(base: string, matchers: readonly Matcher[], signal?: AbortSignal): Promise<{ labels: Record<string, string> }[] | string> {
  const q = new URLSearchParams({ active: 'true', silenced: 'false', inhibited: 'false', unprocessed: 'true' });
  for (const m of matchers) q.append('filter', matcherText(m));
  try {
    const res = await call(`${base}/api/v2/alerts?${q}`, signal ? { signal } : {});
    if (!res.ok) return `Alertmanager answered HTTP ${res.status}: ${(await res.text()).slice(0, 200)}`;
    return (await res.json()) as { labels: Record<string, string> }[];
  } catch (e) {
    return `Alertmanager at ${base} did not answer (${e instanceof Error ? e.message : String(e)})`;
  }
}

export interface SilenceInfo { id: string; comment: string; createdBy: string; status: { state: string } }

export async function listSilences(base: string, signal?: AbortSignal): Promise<SilenceInfo[]> {
  const res = await call(`${base}/api/v2/silences`, signal ? { signal } : {});
  if (!res.ok) throw new Error(`Alertmanager answered HTTP ${res.status} listing silences`);
  return (await res.json()) as SilenceInfo[];
}

export async function createSilence(base: string, s: { matchers: Matcher[]; startsAtMs: number; endsAtMs: number; comment: string }, signal?: AbortSignal): Promise<string> {
  const res = await call(`${base}/api/v2/silences`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      matchers: s.matchers, startsAt: new Date(s.startsAtMs).toISOString(), endsAt: new Date(s.endsAtMs).toISOString(),
      createdBy: CREATED_BY, comment: s.comment,
    }),
    ...(signal ? { signal } : {}),
  });
  if (!res.ok) throw new Error(`Alertmanager refused the silence (HTTP ${res.status}: ${(await res.text()).slice(0, 200)})`);
  return ((await res.json()) as { silenceID: string }).silenceID;
}

export async function expireSilence(base: string, id: string, signal?: AbortSignal): Promise<void> {
  const res = await call(`${base}/api/v2/silence/${encodeURIComponent(id)}`, { method: 'DELETE', ...(signal ? { signal } : {}) });
  // Already expired or gone: nothing left to do (Alertmanager answers 500/404 for those, by version).
  if (!res.ok && res.status !== 404) {
    const text = await res.text();
    if (!/already expired|not found/i.test(text)) throw new Error(`Alertmanager could not expire silence ${id} (HTTP ${res.status}: ${text.slice(0, 200)})`);
  }
}
