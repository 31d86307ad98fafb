// `ipvs-bot doctor`'s rows for a cluster's gates (issue #12): the Prometheus behind the SLO checks answers and accepts
// every check's query (an instant `/api/v1/query` of it now: bad PromQL is refused the same way a range query would
// be), and the Alertmanager behind the alert gate and silences answers `/api/v2/status` and lists silences
// (prometheus/alertmanager api/v2/openapi.yaml). A gate that cannot work would only show up mid-run as a pause.
import type { ClusterConfig } from '../config.js';
import type { CheckRow, CheckStatus } from './doctor-checks.js';

const TIMEOUT_MS = 5_000;

async function getJson(url: string, init: RequestInit = {}): Promise<{ status: number; body: unknown } | string> {
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
    let body: unknown;
    try { body = await res.json(); } catch { return `HTTP ${res.status} without JSON`; }
    return { status: res.status, body };
  } catch (e) {
    const c = (e as { cause?: { code?: string } }).cause?.code;
    return `did not answer (${c ?? (e instanceof Error ? e.message : String(e))})`;
  }
}

export async function checkGates(c: ClusterConfig): Promise<CheckRow[]> {
  const rows: CheckRow[] = [];
  const row = (check: string, status: CheckStatus, detail: string, fix?: string) =>
    rows.push({ scope: c.name, check, status, detail, ...(fix ? { fix } : {}) });
  if (c.prometheus) {
    const { url, checks } = c.prometheus;
    await Promise.all(checks.map(async (q) => {
      const r = await getJson(`${url}/api/v1/query`, {
        method: 'POST', body: new URLSearchParams({ query: q.query }), headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      const name = `prometheus:${q.name}`;
      if (typeof r === 'string') { row(name, 'fail', `Prometheus at ${url} ${r}`, `check clusters[].prometheus.url for "${c.name}" and that the bot may reach it`); return; }
      const b = r.body as { status?: string; errorType?: string; error?: string; data?: { result?: unknown[] } };
      if (b.status !== 'success') {
        row(name, 'fail', `Prometheus refused the query (HTTP ${r.status}, ${b.errorType ?? 'error'}: ${b.error ?? 'no detail'})`, `fix the PromQL of check "${q.name}"`);
        return;
      }
      const n = Array.isArray(b.data?.result) ? b.data.result.length : 0;
      // No series now means the check would be inconclusive after every batch: the run would pause each time.
      if (n === 0) row(name, 'fail', 'the query answers, but with no series now: after each batch it would be inconclusive and pause the run', `check the metric and label names in "${q.query}"`);
      else row(name, 'pass', `Prometheus ${url} answers the query: ${n} series`);
    }));
  }
  if (c.alertmanager) {
    const { url } = c.alertmanager;
    const st = await getJson(`${url}/api/v2/status`);
    if (typeof st === 'string' || st.status !== 200) {
      row('alertmanager', 'fail', `Alertmanager at ${url} ${typeof st === 'string' ? st : `answered HTTP ${st.status}`}`, `check clusters[].alertmanager.url for "${c.name}" and that the bot may reach it`);
    } else {
      const v = (st.body as { versionInfo?: { version?: string } }).versionInfo?.version;
      const si = await getJson(`${url}/api/v2/silences`);
      if (typeof si === 'string' || si.status !== 200 || !Array.isArray(si.body)) row('alertmanager', 'fail', `Alertmanager ${url} does not list silences (${typeof si === 'string' ? si : `HTTP ${si.status}`})`, 'the bot creates and expires silences through /api/v2/silences');
      else row('alertmanager', 'pass', `Alertmanager ${v ?? '(version unknown)'} at ${url}: alerts and silences API answer`);
    }
  }
  return rows;
}
