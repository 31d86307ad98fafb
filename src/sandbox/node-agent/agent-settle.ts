// settle phase of the simulated node side (what src/k8s/node-scripts/settle.sh does): read kube-proxy's /metrics and
// /healthz answers (kube-proxy-endpoints.ts) until a sync after the process started shows, or the deadline passes.
// The Job pod's run time is the script's: settleRunMs tells the kubelet when the script would have ended.
import { healthzAnswer, metricsAnswer } from '../kube-proxy-endpoints.js';
import type { HostState } from './host-state.js';
import type { Phase } from './agent-common.js';

interface SettleEnv { metrics: string; healthz: string; timeoutMs: number; pollMs: number }

function readEnv(env: Map<string, string>): SettleEnv | string {
  const metrics = env.get('IPVS_BOT_METRICS_ADDR') || '127.0.0.1:10249';
  const healthz = env.get('IPVS_BOT_HEALTHZ_ADDR') || '127.0.0.1:10256';
  const timeout = env.get('IPVS_BOT_SETTLE_TIMEOUT_MS') ?? '60000';
  const poll = env.get('IPVS_BOT_SETTLE_POLL_MS') ?? '1000';
  if (!/^\d{1,7}$/.test(timeout) || Number(timeout) > 3_600_000) return 'IPVS_BOT_SETTLE_TIMEOUT_MS is not a number of ms up to 1 h';
  if (!/^\d{1,5}$/.test(poll) || Number(poll) < 10 || Number(poll) > 10_000) return 'IPVS_BOT_SETTLE_POLL_MS is not 10-10000';
  return { metrics, healthz, timeoutMs: Number(timeout), pollMs: Number(poll) };
}

/** Parses a sample like settle.sh's metric_value (first unlabelled sample). */
function sample(text: string, name: string): number | null {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `)) { const v = Number(line.slice(name.length + 1).split(' ')[0]); return Number.isFinite(v) ? v : null; }
  }
  return null;
}

interface Reading { synced: boolean; startedAt: number | null; last: number | null; metricsStatus: number | null; healthz: { status: number | null; lastUpdated: string }; syncDurationMs?: number }

function read(h: HostState, e: SettleEnv, nowMs: number): Reading {
  const m = metricsAnswer(h, e.metrics, nowMs);
  const hz = healthzAnswer(h, e.healthz, nowMs, h.timeScale);
  const started = m ? sample(m.body, 'process_start_time_seconds') : null;
  const last = m ? sample(m.body, 'kubeproxy_sync_proxy_rules_last_timestamp_seconds') : null;
  const sum = m ? sample(m.body, 'kubeproxy_sync_proxy_rules_duration_seconds_sum') : null;
  const count = m ? sample(m.body, 'kubeproxy_sync_proxy_rules_duration_seconds_count') : null;
  const startedAt = started === null ? null : Math.floor(started * 1000);
  const lastMs = last === null ? null : Math.floor(last * 1000);
  return {
    synced: lastMs !== null && lastMs > 0 && startedAt !== null && lastMs >= startedAt,
    startedAt, last: lastMs, metricsStatus: m?.status ?? null,
    healthz: { status: hz?.status ?? null, lastUpdated: hz ? (/"lastUpdated": *"([^"]*)"/.exec(hz.body)?.[1] ?? '') : '' },
    ...(sum !== null && count ? { syncDurationMs: Math.floor((sum * 1000) / count) } : {}),
  };
}

/** How long settle.sh would run when started at `nowMs`: until the first poll that sees the sync, or the deadline. */
export function settleRunMs(h: HostState, env: Map<string, string>, nowMs: number): number {
  const e = readEnv(env);
  if (typeof e === 'string') return 0;
  const run = h.kubeProxyRun;
  const done = (ms: number) => Math.ceil(ms / e.pollMs) * e.pollMs;
  if (read(h, e, nowMs).synced) return 0;
  const at = run?.firstSyncAtMs;
  if (at !== null && at !== undefined && at - nowMs <= e.timeoutMs && metricsAnswer(h, e.metrics, at) !== null) return done(at - nowMs);
  return done(e.timeoutMs);
}

const fmt = (ms: number) => (ms < 1000 ? `${ms}ms` : ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.floor(ms / 1000)}.${Math.floor((ms % 1000) / 100)}s`);

export function settle(p: Phase, startedAtMs: number, nowMs: number): void {
  const { h, env, r, errors } = p;
  const e = readEnv(env);
  if (typeof e === 'string') { errors.push(e); r.synced = false; return; }
  const x = read(h, e, nowMs);
  r.synced = x.synced;
  r.startedAt = x.startedAt;
  r.syncedAt = x.synced ? x.last : null;
  r.waitedMs = Math.max(0, nowMs - startedAtMs);
  r.polls = 1 + Math.floor(Math.max(0, nowMs - startedAtMs) / e.pollMs);
  if (x.syncDurationMs !== undefined) r.syncDurationMs = x.syncDurationMs;
  r.healthz = x.healthz;
  r.metricsStatus = x.metricsStatus;
  if (x.synced) return;
  const hz = x.healthz.status === null ? `/healthz did not answer on ${e.healthz}` : `/healthz ${x.healthz.status}`;
  const why = x.metricsStatus === null ? `${hz}, /metrics did not answer on ${e.metrics}` : x.metricsStatus !== 200 ? `${hz}, /metrics ${x.metricsStatus}` : hz;
  errors.push(`kube-proxy did not sync within ${fmt(e.timeoutMs)}: ${why}`);
}
