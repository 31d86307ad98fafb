// The live pre-flight (issue #12 item 2): what each node's RUNNING kube-proxy reports on its own /metrics, read by the
// prep Job (lib.sh live_metrics) before anything changes, summed over the cluster and judged for the target mode.
// - kubeproxy_iptables_localhost_nodeports_accepted_packets_total > 0: something on the node uses 127.0.0.1:<nodePort>,
//   which only iptables mode serves (domain §6.5; unsupported in IPVS and nftables, KEP-6032 for nftables);
// - kubeproxy_iptables_ct_state_invalid_dropped_packets_total > 0: iptables mode drops conntrack-INVALID packets as a
//   workaround that nftables mode does not have (domain §7, "set conntrack.tcpBeLiberal if needed");
// both exported from v1.31 in iptables mode (CHANGELOG-1.31, PRs #125015 / #122812);
// - kubeproxy_sync_proxy_rules_duration_seconds and kubeproxy_sync_proxy_rules_iptables_total{table}: the scale;
// - the node's nft version (prep's nftables probe) for an nftables target.
import type { Check, ProxyMode } from './api.js';
import type { PrepResult } from './node-results.js';
import { nameList } from './rules/rule.js';

export interface LiveNode { node: string; value: number }

export interface LiveSummary {
  /** Nodes whose kube-proxy answered on /metrics, and those where it did not (address, not running, old Job). */
  read: number;
  unreadable: string[];
  /** Counter per node (the 10 highest) and the sum; null when no node's kube-proxy exports it (before v1.31, or not iptables mode). */
  localhostNodePorts: { total: number; nodes: LiveNode[]; count: number } | null;
  ctStateInvalidDrops: { total: number; nodes: LiveNode[]; count: number } | null;
  /** Average sync duration over the nodes that synced, and the slowest node's. */
  syncMs: { avg: number; max: LiveNode } | null;
  /** iptables rules kube-proxy owns per node (nat + filter): the largest node and the sum. */
  iptablesRules: { total: number; max: LiveNode } | null;
  /** nft versions the prep Jobs found (nftables target), count per version. */
  nftVersions?: Record<string, number>;
}

/** Check ids an operator must confirm (the run pauses) unless the cluster lists them in reportOnly. */
export const CONFIRM_LIVE = ['localhost-nodeports'] as const;

type Live = { metricsStatus?: number | null; localhostNodePortPackets?: number | null; ctStateInvalidDrops?: number | null; syncDurationMs?: number | null; iptablesRules?: { nat?: number | null; filter?: number | null } | null };

const liveOf = (r: PrepResult): Live | undefined => (r.live && typeof r.live === 'object' ? r.live as Live : undefined);

function counter(results: [string, Live][], pick: (l: Live) => number | null | undefined): LiveSummary['localhostNodePorts'] {
  const have = results.flatMap(([node, l]) => { const v = pick(l); return typeof v === 'number' ? [{ node, value: v }] : []; });
  if (have.length === 0) return null;
  const hit = have.filter((x) => x.value > 0).sort((a, b) => b.value - a.value);
  return { total: have.reduce((a, x) => a + x.value, 0), nodes: hit.slice(0, 10), count: hit.length };
}

/** Undefined when no prep Job was asked to read kube-proxy's metrics (an older run, or no metrics address). */
export function summariseLive(results: Record<string, PrepResult>, targetMode: ProxyMode): LiveSummary | undefined {
  const all = Object.entries(results).flatMap(([node, r]) => { const l = liveOf(r); return l ? [[node, l] as [string, Live]] : []; });
  if (all.length === 0) return undefined;
  const ok = all.filter(([, l]) => l.metricsStatus === 200);
  const syncs = ok.flatMap(([node, l]) => (typeof l.syncDurationMs === 'number' ? [{ node, value: l.syncDurationMs }] : []));
  const rules = ok.flatMap(([node, l]) => {
    const r = l.iptablesRules;
    if (!r || (typeof r.nat !== 'number' && typeof r.filter !== 'number')) return [];
    return [{ node, value: (r.nat ?? 0) + (r.filter ?? 0) }];
  });
  const out: LiveSummary = {
    read: ok.length,
    unreadable: all.filter(([, l]) => l.metricsStatus !== 200).map(([n]) => n),
    localhostNodePorts: counter(ok, (l) => l.localhostNodePortPackets),
    ctStateInvalidDrops: counter(ok, (l) => l.ctStateInvalidDrops),
    syncMs: syncs.length ? { avg: Math.round(syncs.reduce((a, x) => a + x.value, 0) / syncs.length), max: syncs.reduce((a, x) => (x.value > a.value ? x : a)) } : null,
    iptablesRules: rules.length ? { total: rules.reduce((a, x) => a + x.value, 0), max: rules.reduce((a, x) => (x.value > a.value ? x : a)) } : null,
  };
  if (targetMode === 'nftables') {
    const versions: Record<string, number> = {};
    for (const r of Object.values(results)) {
      const v = (r.nftables as { nftVersion?: unknown } | undefined)?.nftVersion;
      const key = typeof v === 'string' && v ? (/v?(\d+(?:\.\d+)+)/.exec(v)?.[1] ?? v) : 'none';
      versions[key] = (versions[key] ?? 0) + 1;
    }
    out.nftVersions = versions;
  }
  return out;
}

const n = (v: number) => v.toLocaleString('en-US');
const top = (xs: LiveNode[], more: number) => `${xs.slice(0, 5).map((x) => `${x.node} ${n(x.value)}`).join(', ')}${more > 5 ? `, +${more - 5} more` : ''}`;

/** The verdicts on the live data for this target (warn only: the prep step pauses for CONFIRM_LIVE ones). */
export function liveChecks(s: LiveSummary | undefined, targetMode: ProxyMode, kubeProxyMinor?: number, syncTimeoutMs?: number): Check[] {
  if (!s) return [];
  const out: Check[] = [];
  const leaving = targetMode !== 'iptables';
  const lh = s.localhostNodePorts;
  if (leaving && lh && lh.total > 0) {
    out.push({
      id: 'localhost-nodeports', verdict: 'warn', nodes: lh.nodes.map((x) => x.node),
      message: `kube-proxy accepted ${n(lh.total)} packets on localhost NodePorts (127.0.0.1:<nodePort>) on ${lh.count} node(s) (${top(lh.nodes, lh.count)}); ${targetMode === 'ipvs' ? 'IPVS' : 'nftables'} mode does not serve NodePorts on localhost, so whatever sends them stops working. Point it at the node IP or a ClusterIP first (domain §6.5).`,
    });
  } else if (leaving && !lh && s.read > 0) {
    out.push({
      id: 'localhost-nodeports', verdict: 'warn',
      message: `kube-proxy${kubeProxyMinor !== undefined ? ` 1.${kubeProxyMinor}` : ''} exports no localhost NodePort counter (it has one from v1.31, in iptables mode): whether anything uses 127.0.0.1:<nodePort> could not be read; ${targetMode} mode does not serve it.`,
    });
  }
  const ct = s.ctStateInvalidDrops;
  if (targetMode === 'nftables' && ct && ct.total > 0) {
    out.push({
      id: 'live-ct-invalid', verdict: 'warn', nodes: ct.nodes.map((x) => x.node),
      message: `iptables mode dropped ${n(ct.total)} conntrack-INVALID packets on ${ct.count} node(s) (${top(ct.nodes, ct.count)}); nftables mode has no such drop rule: consider \`conntrack.tcpBeLiberal: true\` in config.conf so those connections are not reset.`,
    });
  }
  if (s.unreadable.length > 0) {
    out.push({
      id: 'live-metrics', verdict: 'warn', nodes: s.unreadable.slice(0, 10),
      message: `kube-proxy's /metrics did not answer on ${nameList(s.unreadable)}: the live pre-flight has no data from there.`,
    });
  }
  // Each node's first sync after its restart is waited for up to syncTimeoutMs: a full sync that already takes half
  // of that today leaves little room (the first one also lists every Service and EndpointSlice).
  if (s.syncMs && syncTimeoutMs !== undefined && s.syncMs.max.value * 2 > syncTimeoutMs) {
    out.push({
      id: 'live-sync-time', verdict: 'warn', nodes: [s.syncMs.max.node],
      message: `a full sync of kube-proxy takes up to ${n(s.syncMs.max.value)} ms today (${s.syncMs.max.node}); each node's first sync after its restart is waited for only ${n(syncTimeoutMs)} ms before the node fails. Raise timing.syncTimeoutMs, or see minSyncPeriod in the Kubernetes docs (virtual-ips, "Performance optimization").`,
    });
  }
  const parts: string[] = [];
  if (s.syncMs) parts.push(`a sync takes ${n(s.syncMs.avg)} ms on average (slowest ${s.syncMs.max.node}: ${n(s.syncMs.max.value)} ms)`);
  if (s.iptablesRules) parts.push(`kube-proxy owns ${n(s.iptablesRules.total)} iptables rules in all (most on ${s.iptablesRules.max.node}: ${n(s.iptablesRules.max.value)})`);
  if (s.nftVersions) parts.push(`nft ${Object.entries(s.nftVersions).map(([v, c]) => `${v} on ${c} node(s)`).join(', ')}`);
  if (parts.length) out.push({ id: 'live-scale', verdict: 'pass', message: `Read from ${s.read} node(s): ${parts.join('; ')}.` });
  return out;
}
