// The wait for kube-proxy's first sync that opens the verify and cleanup phases when the bot asks for it
// (IPVS_BOT_SYNC_TIMEOUT_MS; what lib.sh wait_for_sync does on a real node): read kube-proxy's /metrics and /healthz
// answers (kube-proxy-endpoints.ts, in upstream's formats) until a sync after the process started shows, or the
// deadline passes. syncRunMs tells the kubelet how long that part of the script would have run.
import { healthzAnswer, metricSample as sample, metricsAnswer } from '../kube-proxy-endpoints.js';
import type { HostState } from './host-state.js';
import type { Phase } from './agent-common.js';

interface SyncEnv { metrics: string; healthz: string; timeoutMs: number; pollMs: number; notBeforeMs: number | null }

/** The wait's settings; undefined when the bot did not ask for one, a string when one is invalid (lib.sh's words). */
function readEnv(env: Map<string, string>): SyncEnv | string | undefined {
  const timeout = env.get('IPVS_BOT_SYNC_TIMEOUT_MS');
  if (timeout === undefined || timeout === '') return undefined;
  const poll = env.get('IPVS_BOT_SYNC_POLL_MS') ?? '250';
  const notBefore = env.get('IPVS_BOT_NOT_BEFORE_MS') ?? '';
  if (!/^\d{1,7}$/.test(timeout) || Number(timeout) > 3_600_000) return 'IPVS_BOT_SYNC_TIMEOUT_MS is not a number of ms up to 1 h';
  if (!/^\d{1,5}$/.test(poll) || Number(poll) < 10 || Number(poll) > 10_000) return 'IPVS_BOT_SYNC_POLL_MS is not 10-10000';
  if (notBefore !== '' && !/^\d+$/.test(notBefore)) return 'IPVS_BOT_NOT_BEFORE_MS is not a number';
  return {
    metrics: env.get('IPVS_BOT_METRICS_ADDR') || '127.0.0.1:10249', healthz: env.get('IPVS_BOT_HEALTHZ_ADDR') || '127.0.0.1:10256',
    timeoutMs: Number(timeout), pollMs: Number(poll), notBeforeMs: notBefore === '' ? null : Number(notBefore),
  };
}

interface Reading {
  synced: boolean; startedAt: number | null; last: number | null; metricsStatus: number | null;
  healthz: { status: number | null; lastUpdated: string }; syncDurationMs?: number;
}

function read(h: HostState, e: SyncEnv, nowMs: number): Reading {
  const m = metricsAnswer(h, e.metrics, nowMs);
  const hz = healthzAnswer(h, e.healthz, nowMs, h.timeScale);
  const started = m ? sample(m.body, 'process_start_time_seconds') : null;
  const last = m ? sample(m.body, 'kubeproxy_sync_proxy_rules_last_timestamp_seconds') : null;
  const sum = m ? sample(m.body, 'kubeproxy_sync_proxy_rules_duration_seconds_sum') : null;
  const count = m ? sample(m.body, 'kubeproxy_sync_proxy_rules_duration_seconds_count') : null;
  const startedAt = started === null ? null : Math.floor(started * 1000);
  const lastMs = last === null ? null : Math.floor(last * 1000);
  return {
    synced: lastMs !== null && lastMs > 0 && startedAt !== null && lastMs >= startedAt && (e.notBeforeMs === null || startedAt >= e.notBeforeMs),
    startedAt, last: lastMs, metricsStatus: m?.status ?? null,
    healthz: { status: hz?.status ?? null, lastUpdated: hz ? (/"lastUpdated": *"([^"]*)"/.exec(hz.body)?.[1] ?? '') : '' },
    ...(sum !== null && count ? { syncDurationMs: Math.floor((sum * 1000) / count) } : {}),
  };
}

/** How long the wait would run when the Job's script starts at `nowMs`: until the first poll that sees the sync, or the deadline. */
export function syncRunMs(h: HostState, env: Map<string, string>, nowMs: number): number {
  const e = readEnv(env);
  if (e === undefined || typeof e === 'string') return 0;
  if (read(h, e, nowMs).synced) return 0;
  const polls = (ms: number) => Math.ceil(ms / e.pollMs) * e.pollMs;
  const at = h.kubeProxyRun?.firstSyncAtMs;
  if (at !== null && at !== undefined && at - nowMs <= e.timeoutMs && read(h, e, nowMs + polls(at - nowMs)).synced) return polls(at - nowMs);
  return e.timeoutMs;
}

const fmt = (ms: number) => (ms < 1000 ? `${ms}ms` : ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.floor(ms / 1000)}.${Math.floor((ms % 1000) / 100)}s`);

/**
 * The wait as the script reports it, read at `readAtMs` (the script's start + syncRunMs): sets r.sync; false (after
 * an error in lib.sh's words) when kube-proxy did not sync, true when it did or no wait was asked for.
 */
export function waitForSync(p: Phase, startedAtMs: number, readAtMs: number): boolean {
  const { h, env, r, errors } = p;
  const e = readEnv(env);
  if (e === undefined) return true;
  if (typeof e === 'string') { errors.push(e); return false; }
  const x = read(h, e, readAtMs);
  const waitedMs = Math.max(0, readAtMs - startedAtMs);
  r.sync = {
    synced: x.synced, startedAt: x.startedAt, syncedAt: x.synced ? x.last : null, waitedMs,
    polls: 1 + Math.floor(waitedMs / e.pollMs), timeoutMs: e.timeoutMs,
    ...(x.syncDurationMs !== undefined ? { syncDurationMs: x.syncDurationMs } : {}),
    healthz: x.healthz, metricsStatus: x.metricsStatus,
  };
  if (x.synced) return true;
  const hz = x.healthz.status === null ? `/healthz did not answer on ${e.healthz}` : `/healthz ${x.healthz.status}`;
  const why = x.metricsStatus === null ? `${hz}, /metrics did not answer on ${e.metrics}`
    : x.metricsStatus !== 200 ? `${hz}, /metrics ${x.metricsStatus}`
      : e.notBeforeMs !== null && x.startedAt !== null && x.startedAt < e.notBeforeMs ? `${hz}, the kube-proxy answering started before the restart`
        : `${hz}, no sync after its start on /metrics`;
  errors.push(`kube-proxy did not sync within ${fmt(e.timeoutMs)}: ${why}`);
  return false;
}
