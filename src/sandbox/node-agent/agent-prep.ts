// prep phase of the simulated node side (what src/k8s/node-scripts prep does): modules loaded and persisted, sysctls,
// the IPVS / nftables probes, the nft version (≥1.0.1, kubernetes.io blog 2025-02-28 "NFTables mode for kube-proxy"),
// and the virtual servers that are not Kubernetes' by the contract's ownership rule.
import { type HostState, kernelAtLeast } from './host-state.js';
import { metricSample as sample, metricsAnswer } from '../kube-proxy-endpoints.js';
import { type Phase, leftovers, vsText } from './agent-common.js';

const SCHEDULERS = new Set(['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'sh', 'dh', 'sed', 'nq', 'mh', 'fo', 'ovf', 'twos']);
const SYSCTLS_BEFORE = ['net.ipv4.conf.all.arp_ignore', 'net.ipv4.conf.all.arp_announce'];

/** "nftables v1.0.6 (Lester Gooch #5)" → "1.0.6" */
const nftNumber = (v: string) => /v?(\d+(?:\.\d+)*)/.exec(v)?.[1] ?? v;

function nftAtLeast101(v: string): boolean | null {
  const m = /v?(\d+)\.(\d+)(?:\.(\d+))?/.exec(v);
  if (!m) return null;
  const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  return a > 1 || (a === 1 && (b > 0 || c >= 1));
}

export function prep(p: Phase): void {
  const { h, env, r, errors, warnings } = p;
  const target = p.target || 'ipvs';
  // read before anything changes (contract: strings as sysctl prints them)
  r.sysctlsBefore = Object.fromEntries(SYSCTLS_BEFORE.flatMap((k) => { const v = h.sysctls.get(k); return v === undefined ? [] : [[k, v]]; }));
  const sched = env.get('IPVS_BOT_SCHEDULER') || 'rr';
  r.kernel = h.kernel;
  if (!['ipvs', 'iptables', 'nftables'].includes(target)) { errors.push('unknown target mode'); r.modules = {}; return; }
  if (!SCHEDULERS.has(sched)) { errors.push('unsupported IPVS scheduler'); r.modules = {}; return; }
  r.scheduler = sched;
  const modules: Record<string, string> = {};
  const loaded: string[] = [];
  // Only IPVS mode needs the ip_vs modules; nftables mode needs nf_tables; iptables mode only conntrack.
  const required = target === 'ipvs' ? ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh'] : target === 'nftables' ? ['nf_tables'] : [];
  if (target === 'ipvs' && !required.includes(`ip_vs_${sched}`)) required.push(`ip_vs_${sched}`);
  for (const m of required) {
    if (h.modprobe(m)) { modules[m] = 'loaded'; loaded.push(m); } else { modules[m] = 'missing'; errors.push(`kernel module ${m} could not be loaded`); }
  }
  if (!kernelAtLeast(h.kernel, 4, 19)) {
    if (h.modprobe('nf_conntrack_ipv4')) { modules.nf_conntrack_ipv4 = 'loaded'; loaded.push('nf_conntrack_ipv4'); }
    else if (h.modprobe('nf_conntrack')) {
      modules.nf_conntrack = 'loaded'; loaded.push('nf_conntrack');
      warnings.push(`kernel ${h.kernel} has no nf_conntrack_ipv4; nf_conntrack (backported) is loaded instead`);
    } else { modules.nf_conntrack_ipv4 = 'missing'; errors.push('kernel module nf_conntrack_ipv4 could not be loaded'); }
  } else if (h.modprobe('nf_conntrack')) { modules.nf_conntrack = 'loaded'; loaded.push('nf_conntrack'); }
  else { modules.nf_conntrack = 'missing'; errors.push('kernel module nf_conntrack could not be loaded'); }
  r.modules = modules;
  if (target === 'ipvs' && !kernelAtLeast(h.kernel, 4, 1)) {
    errors.push(`kernel ${h.kernel} is older than 4.1, which ipvs-bot does not migrate (kube-proxy cannot tune IPVS connection reuse there); upgrade the kernel first`);
    return;
  }
  if (target === 'nftables') {
    // kube-proxy refuses kernels older than 5.13 in nftables mode; `nft list tables` needs a working nf_tables.
    const kernelOk = kernelAtLeast(h.kernel, 5, 13);
    if (!kernelOk) errors.push(`kernel ${h.kernel} is older than 5.13: kube-proxy in nftables mode requires kernel 5.13 or later`);
    const probe = h.loaded.has('nf_tables') ? 'ok' : 'failed';
    if (probe === 'failed') errors.push('nftables probe failed (nft list tables), kube-proxy would crash-loop in nftables mode: Operation not supported');
    const nftVersion = h.nftVersion;
    const nftVersionOk = nftVersion === null ? null : nftAtLeast101(nftVersion);
    if (nftVersion === null) errors.push('nft is not installed on the host: kube-proxy\'s nftables mode needs nft 1.0.1 or later');
    else if (nftVersionOk === false) errors.push(`nft ${nftNumber(nftVersion)} is older than 1.0.1, which kube-proxy's nftables mode needs`);
    r.nftables = { kernel: kernelOk, probe, nftVersion, nftVersionOk };
    if (!kernelOk) return;
  }
  const brnf = h.modprobe('br_netfilter');
  if (brnf) loaded.push('br_netfilter');
  r.optionalModules = { br_netfilter: brnf ? 'loaded' : 'missing' };
  // Only IPVS mode needs modules at boot; an earlier IPVS run's file stays for a later rollback to IPVS.
  if (target === 'ipvs') {
    h.persistedModules.set('ipvs-bot.conf', loaded);
    r.modulesFile = '/etc/modules-load.d/ipvs-bot.conf';
  }
  const sysctls: Record<string, string> = {};
  const keys = ['net.ipv4.ip_forward', ...(brnf ? ['net.bridge.bridge-nf-call-iptables', 'net.bridge.bridge-nf-call-ip6tables'] : [])];
  for (const k of keys) { h.sysctls.set(k, '1'); sysctls[k] = 'set'; }
  h.sysctlFiles.set('90-ipvs-bot.conf', keys.map((k) => `${k} = 1`));
  r.sysctls = sysctls;
  r.sysctlFile = '/etc/sysctl.d/90-ipvs-bot.conf';
  if (target !== 'ipvs') r.ipvsProbe = 'not-needed';
  else if (h.canUseIpvs(sched)) r.ipvsProbe = 'ok';
  else { r.ipvsProbe = 'failed'; errors.push(`IPVS probe failed, kube-proxy would crash-loop in IPVS mode: Memory allocation problem`); }
  const foreign = h.foreignIpvs(p.tokens).map(vsText);
  r.ipvsServices = h.ipvs.size;
  r.foreignIpvsServices = foreign.slice(0, 10);
  r.foreignIpvsServicesCount = foreign.length;
  if (foreign.length > 0) warnings.push('this node has IPVS services Kubernetes did not create; cleanup will keep them');
  r.leftovers = leftovers(h, p.tokens);
  const metrics = env.get('IPVS_BOT_METRICS_ADDR');
  if (metrics) r.live = liveMetrics(h, metrics, Date.now());
}

/** lib.sh live_metrics: the running kube-proxy's /metrics (kube-proxy-endpoints.ts metricsAnswer) as the prep Job reports it. */
function liveMetrics(h: HostState, addr: string, nowMs: number): Record<string, unknown> {
  const m = metricsAnswer(h, addr, nowMs);
  if (!m || m.status !== 200) return { metricsStatus: m?.status ?? null };
  const int = (v: number | null) => (v === null ? null : Math.floor(v));
  const sum = sample(m.body, 'kubeproxy_sync_proxy_rules_duration_seconds_sum');
  const count = int(sample(m.body, 'kubeproxy_sync_proxy_rules_duration_seconds_count'));
  const nat = int(sample(m.body, 'kubeproxy_sync_proxy_rules_iptables_total', '{table="nat"}'));
  const filter = int(sample(m.body, 'kubeproxy_sync_proxy_rules_iptables_total', '{table="filter"}'));
  return {
    metricsStatus: 200,
    localhostNodePortPackets: int(sample(m.body, 'kubeproxy_iptables_localhost_nodeports_accepted_packets_total')),
    ctStateInvalidDrops: int(sample(m.body, 'kubeproxy_iptables_ct_state_invalid_dropped_packets_total')),
    syncDurationMs: sum !== null && count ? Math.floor((sum * 1000) / count) : null,
    syncs: count,
    iptablesRules: nat === null && filter === null ? null : { nat, filter },
  };
}
