// What a simulated kube-proxy answers on its two HTTP servers, as the node scripts read them (settle.sh, prep.sh):
// - healthzBindAddress (v1alpha1 default 0.0.0.0:10256) `/healthz`: k/k pkg/proxy/healthcheck/proxier_health.go
//   healthzHandler. Healthy while no queued update is older than healthTimeout (2 × syncPeriod = 60 s, set in
//   cmd/kube-proxy/app/server.go); the informers queue the whole Service/EndpointSlice state at start, so a kube-proxy
//   whose first sync never ends answers 200 for its first 60 s and 503 after that. Body (fmt %q of time.Time):
//   `{"lastUpdated": "<time>","currentTime": "<time>", "nodeEligible": true}`; when healthy lastUpdated = currentTime.
// - metricsBindAddress (default 127.0.0.1:10249) `/metrics`, Prometheus text format 0.0.4: names and types of
//   k/k pkg/proxy/metrics/metrics.go (sync_proxy_rules_duration_seconds: ExponentialBuckets(0.001, 2, 15);
//   sync_proxy_rules_last_timestamp_seconds gauge, 0 until the first sync; sync_proxy_rules_iptables_total{table},
//   iptables mode; iptables_localhost_nodeports_accepted_packets_total and iptables_ct_state_invalid_dropped_packets_total,
//   iptables mode from 1.31, CHANGELOG-1.31 PRs #125015 / #122812) plus client_golang's process_start_time_seconds.
import type { HostState, KubeProxyRun, ProxyMode, ServicePort } from './node-agent/host-state.js';

/** Full sync of kube-proxy's rules (upstream default syncPeriod 30 s): the timestamp gauge moves on every one. */
const SYNC_PERIOD_MS = 30_000;
/** healthTimeout = 2 × syncPeriod (cmd/kube-proxy/app/server.go NewProxierHealthServer). */
const HEALTH_TIMEOUT_MS = 2 * SYNC_PERIOD_MS;

/**
 * Modelled duration of one full sync: the informers' initial list plus a cost per Service port that grows with the
 * rule count. Domain §8.3 (INFERRED from its table): iptables ~1 ms per Service at 5k Services (third-party 2019
 * benchmark 6.5 s at 5k, before MinimizeIPTablesRestore), nftables' p50 ≈ iptables' p01 (nftables blog 2025-02-28),
 * IPVS a netlink call per virtual server. The sandbox's own figures, not measurements.
 */
export function syncDurationMs(mode: ProxyMode, servicePorts: number, factor = 1): number {
  const perPort = mode === 'iptables' ? 1.0 : mode === 'nftables' ? 0.4 : 0.6;
  return Math.round((150 + perPort * servicePorts) * factor);
}

function iptablesRules(h: HostState): { filter: number; nat: number } {
  const perService = [...h.nat].filter((c) => /^KUBE-(SVC|SEP|EXT|SVL)-/.test(c)).length;
  return { filter: 2 * h.filter.size, nat: 2 * h.nat.size + 2 * perService };
}

/** A new kube-proxy process started on the host at `nowMs` in `mode` (kube-proxy-sim.ts startKubeProxy). */
export function startRun(h: HostState, mode: ProxyMode, minor: number, services: ServicePort[], nowMs: number): KubeProxyRun {
  const syncMs = syncDurationMs(mode, services.length, h.kubeProxySyncFactor ?? 1);
  h.kubeProxyRun = {
    mode, minor, startedAtMs: nowMs, syncMs,
    firstSyncAtMs: h.kubeProxySyncFactor === null && h.kubeProxyStuckModes.has(mode) ? null : nowMs + syncMs,
    iptablesRules: mode === 'iptables' ? iptablesRules(h) : { filter: 0, nat: 0 },
  };
  return h.kubeProxyRun;
}

/** The seeded cluster's kube-proxy: running (and synced) for an hour already when the sandbox starts. */
export function seedRun(h: HostState, mode: ProxyMode, minor: number, services: ServicePort[], nowMs: number): void {
  const factor = h.kubeProxySyncFactor;
  h.kubeProxySyncFactor = factor ?? 1;
  startRun(h, mode, minor, services, nowMs - 3_600_000);
  h.kubeProxySyncFactor = factor;
}

/** Syncs completed by `nowMs` and the end of the last one (null: none yet). */
function syncsBy(run: KubeProxyRun, nowMs: number): { count: number; lastMs: number | null } {
  if (run.firstSyncAtMs === null || nowMs < run.firstSyncAtMs) return { count: 0, lastMs: null };
  const n = 1 + Math.floor((nowMs - run.firstSyncAtMs) / SYNC_PERIOD_MS);
  return { count: n, lastMs: run.firstSyncAtMs + (n - 1) * SYNC_PERIOD_MS };
}

/**
 * Go's strconv.FormatFloat(v, 'g', -1, 64), as expfmt writes sample values: shortest digits, and %e form when the
 * decimal exponent is < -4 or ≥ 6 (shortest 'g' uses precision 6 for that choice): 1.7651e+09, 1e+06, 0.001, 42.
 */
export function goFloat(v: number): string {
  if (v === 0) return '0';
  if (!Number.isFinite(v)) return Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf';
  const [m, e] = v.toExponential().split('e') as [string, string];
  const exp = Number(e);
  if (exp < -4 || exp >= 6) return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(v);
}

/** Go's time.Time.String() in UTC: "2006-01-02 15:04:05.999999999 +0000 UTC" (trailing zeros of the fraction cut). */
export function goTime(ms: number | null, monotonicS?: number): string {
  if (ms === null) return '0001-01-01 00:00:00 +0000 UTC';
  const d = new Date(ms);
  const iso = d.toISOString(); // 2026-12-07T10:42:28.123Z
  const frac = iso.slice(20, 23).replace(/0+$/, '');
  const mono = monotonicS === undefined ? '' : ` m=+${monotonicS.toFixed(9)}`;
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}${frac ? `.${frac}` : ''} +0000 UTC${mono}`;
}

/**
 * The first sample of `name` with exactly the label set `labels` (e.g. `{table="nat"}`, default none) in Prometheus
 * text, as lib.sh's metric_value reads it: null when absent or not a non-negative number.
 */
export function metricSample(text: string, name: string, labels = ''): number | null {
  const want = `${name}${labels} `;
  for (const line of text.split('\n')) if (line.startsWith(want)) { const v = Number(line.slice(want.length).split(' ')[0]); return Number.isFinite(v) && v >= 0 ? v : null; }
  return null;
}

export interface HttpAnswer { status: number; body: string }

/** GET /healthz on kube-proxy's healthz server; null: connection refused (no kube-proxy, or another address). */
export function healthzAnswer(h: HostState, hostPort: string, nowMs: number, timeScale = 1): HttpAnswer | null {
  const run = h.kubeProxyRun;
  if (h.proxyMode === '' || !run || !h.listensOn(h.healthzBind, hostPort)) return null;
  const { lastMs } = syncsBy(run, nowMs);
  // Pending since start until the first sync; later syncs keep it healthy (each clears the queue).
  const healthy = lastMs !== null || nowMs - run.startedAtMs < HEALTH_TIMEOUT_MS * timeScale;
  const mono = (nowMs - run.startedAtMs) / 1000;
  const current = goTime(nowMs, mono);
  const last = healthy ? current : goTime(lastMs);
  return { status: healthy ? 200 : 503, body: `{"lastUpdated": ${JSON.stringify(last)},"currentTime": ${JSON.stringify(current)}, "nodeEligible": true}` };
}

const BUCKETS = Array.from({ length: 15 }, (_, i) => 0.001 * 2 ** i);

/** GET /metrics on kube-proxy's metrics server (the families the bot reads); null: connection refused. */
export function metricsAnswer(h: HostState, hostPort: string, nowMs: number): HttpAnswer | null {
  const run = h.kubeProxyRun;
  if (h.proxyMode === '' || !run || !h.metricsReachable(hostPort)) return null;
  const { count, lastMs } = syncsBy(run, nowMs);
  const out: string[] = [];
  const family = (name: string, type: string, help: string, samples: string[]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, ...samples);
  };
  const dur = run.syncMs / 1000;
  family('kubeproxy_sync_proxy_rules_duration_seconds', 'histogram', '[ALPHA] SyncProxyRules latency in seconds', [
    ...BUCKETS.map((b) => `kubeproxy_sync_proxy_rules_duration_seconds_bucket{le="${goFloat(b)}"} ${dur <= b ? count : 0}`),
    `kubeproxy_sync_proxy_rules_duration_seconds_bucket{le="+Inf"} ${count}`,
    `kubeproxy_sync_proxy_rules_duration_seconds_sum ${goFloat(count * dur)}`,
    `kubeproxy_sync_proxy_rules_duration_seconds_count ${count}`,
  ]);
  family('kubeproxy_sync_proxy_rules_last_timestamp_seconds', 'gauge', '[ALPHA] The last time proxy rules were successfully synced',
    [`kubeproxy_sync_proxy_rules_last_timestamp_seconds ${lastMs === null ? 0 : goFloat(lastMs / 1000)}`]);
  if (run.mode === 'iptables') {
    family('kubeproxy_sync_proxy_rules_iptables_total', 'gauge', '[ALPHA] Total number of iptables rules owned by kube-proxy', [
      `kubeproxy_sync_proxy_rules_iptables_total{table="filter"} ${count ? run.iptablesRules.filter : 0}`,
      `kubeproxy_sync_proxy_rules_iptables_total{table="nat"} ${count ? run.iptablesRules.nat : 0}`,
    ]);
    if (run.minor >= 31) {
      family('kubeproxy_iptables_ct_state_invalid_dropped_packets_total', 'counter', '[ALPHA] packets dropped by iptables to work around conntrack problems',
        [`kubeproxy_iptables_ct_state_invalid_dropped_packets_total ${h.kubeProxyCounters.ctStateInvalidDrops}`]);
      family('kubeproxy_iptables_localhost_nodeports_accepted_packets_total', 'counter', '[ALPHA] Number of packets accepted on nodeports of loopback interface',
        [`kubeproxy_iptables_localhost_nodeports_accepted_packets_total ${h.kubeProxyCounters.localhostNodePortPackets}`]);
    }
  }
  family('process_start_time_seconds', 'gauge', 'Start time of the process since unix epoch in seconds.', [`process_start_time_seconds ${goFloat(Math.floor(run.startedAtMs / 10) / 100)}`]);
  return { status: 200, body: `${out.join('\n')}\n` };
}

/** When a kube-proxy started now would finish its first sync (ms from its start; null: never). */
export function firstSyncInMs(h: HostState, nowMs: number): number | null {
  const run = h.kubeProxyRun;
  if (!run || run.firstSyncAtMs === null) return null;
  return Math.max(0, run.firstSyncAtMs - nowMs);
}
