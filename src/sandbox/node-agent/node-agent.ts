// The simulated node side of a Job pod: what the bot's node scripts (src/k8s/node-scripts/*.sh) would find and do on
// this host, answered with the same JSON result object (DESIGN.md "node Jobs").
//
// What it reads from the pod (nothing else):
// - labels `app.kubernetes.io/managed-by: ipvs-bot` (otherwise: any other Job, which simply succeeds),
//   `ipvs-bot/phase` (prep|verify|cleanup), `ipvs-bot/target-mode` (ipvs|iptables|nftables), `ipvs-bot/node`;
// - env of the first container (plain `value`s; IPVS_BOT_NODE's downward-API value is spec.nodeName):
//   IPVS_BOT_PHASE / IPVS_BOT_TARGET_MODE (fallbacks for the labels), IPVS_BOT_SCHEDULER (prep, default rr),
//   IPVS_BOT_DRY_RUN=1 and IPVS_BOT_FROM_MODE (cleanup), IPVS_BOT_EXPECTED_SERVICES, IPVS_BOT_TCP_TARGET, IPVS_BOT_DNS_NAME,
//   IPVS_BOT_DNS_SERVER, IPVS_BOT_PING_TARGET, IPVS_BOT_METRICS_ADDR (verify);
// - a container command containing `--cleanup` (the `kube-proxy --cleanup` Job): upstream cleanup, no JSON line.
import { HostState, IPTABLES_ONLY_FILTER, IPTABLES_ONLY_NAT, IPVS_ONLY_FILTER, IPVS_ONLY_NAT, countMatching, kernelAtLeast, removeMatching, type ServicePort } from './host-state.js';

export interface JobRun { exitCode: number; message: string; log: string[] }

export interface AgentContext {
  services: ServicePort[];
  /** kube-proxy's next sync after `kube-proxy --cleanup` flushed its rules. */
  resync?: () => void;
}

type Pod = { metadata: { labels?: Record<string, string> }; spec?: { nodeName?: string; containers?: { command?: string[]; args?: string[]; env?: { name: string; value?: string }[] }[] } };

const SCHEDULERS = new Set(['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'sh', 'dh', 'sed', 'nq', 'mh', 'fo', 'ovf', 'twos']);

export function isBotJobPod(pod: Pod): boolean {
  return pod.metadata.labels?.['app.kubernetes.io/managed-by'] === 'ipvs-bot';
}

export function runNodeJob(host: HostState, pod: Pod, ctx: AgentContext): JobRun {
  const c = pod.spec?.containers?.[0];
  const argv = [...(c?.command ?? []), ...(c?.args ?? [])];
  if (argv.includes('--cleanup')) return kubeProxyCleanup(host, ctx);
  if (!isBotJobPod(pod)) return { exitCode: 0, message: '', log: ['done'] };
  const env = new Map<string, string>();
  for (const e of c?.env ?? []) if (typeof e.value === 'string') env.set(e.name, e.value);
  const labels = pod.metadata.labels ?? {};
  const phase = labels['ipvs-bot/phase'] ?? env.get('IPVS_BOT_PHASE') ?? 'unknown';
  const targetMode = labels['ipvs-bot/target-mode'] ?? env.get('IPVS_BOT_TARGET_MODE') ?? '';
  const node = pod.spec?.nodeName ?? host.node;
  const r: Record<string, unknown> = { phase, node, targetMode };
  const errors: string[] = [];
  const warnings: string[] = [];
  if (phase === 'prep') prep(host, env, targetMode || 'ipvs', r, errors, warnings);
  else if (phase === 'verify') verify(host, env, targetMode, ctx, r, errors);
  else if (phase === 'cleanup') cleanup(host, env, targetMode, r, errors, warnings);
  else errors.push(`unknown phase ${JSON.stringify(phase)}`);
  const result = { phase, node, targetMode, ok: errors.length === 0, errors, warnings, ...r };
  const line = JSON.stringify(result);
  return { exitCode: 0, message: line, log: [`ipvs-bot ${phase} on ${node}`, line] };
}

function leftovers(h: HostState) {
  return {
    iptablesModeChains: countMatching(h.nat, IPTABLES_ONLY_NAT) + countMatching(h.filter, IPTABLES_ONLY_FILTER),
    ipvsModeChains: countMatching(h.nat, IPVS_ONLY_NAT) + countMatching(h.filter, IPVS_ONLY_FILTER),
    kubeIpvs0: h.kubeIpvs0 ? 1 : 0,
    kubernetesIpvsServices: h.kubernetesIpvs().length,
    kubeIpsets: [...h.ipsets].filter((s) => s.startsWith('KUBE-')).length,
    kubeProxyNftTables: kubeProxyNftTables(h).length,
  };
}

/** "ip kube-proxy" / "ip6 kube-proxy": the nftables mode's tables (domain §6.6). */
function kubeProxyNftTables(h: HostState): string[] {
  return [...h.nftTables].filter((t) => /^(ip|ip6|inet) kube-proxy$/.test(t)).sort();
}

const vsText = (s: { proto: string; address: string; port: number }) => `${s.proto} ${s.address}:${s.port}`;

function prep(h: HostState, env: Map<string, string>, target: string, r: Record<string, unknown>, errors: string[], warnings: string[]) {
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
    r.nftables = { kernel: kernelOk, probe, nftVersion: 'nftables v1.0.9 (Old Doc Yak #3)' };
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
  const foreign = h.foreignIpvs().map(vsText);
  r.ipvsServices = h.ipvs.size;
  r.foreignIpvsServices = foreign.slice(0, 10);
  r.foreignIpvsServicesCount = foreign.length;
  if (foreign.length > 0) warnings.push('this node has IPVS services Kubernetes did not create; cleanup will keep them');
  r.leftovers = leftovers(h);
}

function findServicePort(ctx: AgentContext, hostPort: string): ServicePort | undefined {
  const m = /^\[?([^\]]+)\]?:(\d+)$/.exec(hostPort);
  if (!m) return undefined;
  return ctx.services.find((p) => p.clusterIP === m[1] && p.port === Number(m[2]));
}

/** Would traffic to this Service port be forwarded on this host (by whatever rules are there now)? */
function forwarded(h: HostState, p: ServicePort | undefined): boolean {
  if (!p) return false;
  if (h.ipvs.has(h.ipvsKey({ proto: p.proto, address: p.clusterIP, port: p.port }))) return true;
  if (h.nftTables.has('ip kube-proxy')) return true;
  return h.nat.has('KUBE-SERVICES') && [...h.nat].some((c) => c.startsWith('KUBE-SVC-'));
}

function verify(h: HostState, env: Map<string, string>, target: string, ctx: AgentContext, r: Record<string, unknown>, errors: string[]) {
  if (!['ipvs', 'iptables', 'nftables'].includes(target)) { errors.push('unknown target mode'); return; }
  const metrics = env.get('IPVS_BOT_METRICS_ADDR') ?? '127.0.0.1:10249';
  r.proxyMode = h.proxyMode;
  if (!h.proxyMode) errors.push(`kube-proxy did not answer on ${metrics}/proxyMode`);
  else if (h.proxyMode !== target) errors.push(`kube-proxy reports mode ${h.proxyMode}, expected ${target}`);
  r.kubeIpvs0 = h.kubeIpvs0 !== null;
  r.ipvsServices = h.ipvs.size;
  r.kubernetesIpvsServices = h.kubernetesIpvs().length;
  r.kubeSvcChains = countMatching(h.nat, /^KUBE-SVC-/);
  const expected = Number(env.get('IPVS_BOT_EXPECTED_SERVICES') ?? '');
  if (target === 'ipvs') {
    if (!h.kubeIpvs0) errors.push('kube-ipvs0 does not exist');
    if (Number.isInteger(expected) && env.has('IPVS_BOT_EXPECTED_SERVICES') && h.ipvs.size < expected) {
      errors.push(`only ${h.ipvs.size} IPVS virtual servers, expected at least ${expected} (one per ClusterIP Service port)`);
    }
  } else if (h.kubeIpvs0) errors.push('kube-ipvs0 still exists: ClusterIPs stay local addresses on this node until it is removed');
  const nft = kubeProxyNftTables(h);
  r.nftTables = nft;
  if (target === 'nftables' && nft.length === 0) errors.push("kube-proxy's nftables table (ip kube-proxy) does not exist");
  else if (target !== 'nftables' && nft.length > 0) errors.push(`kube-proxy's nftables tables are still there (${nft.join(' ')}): an nftables leftover`);
  const tcpTarget = env.get('IPVS_BOT_TCP_TARGET');
  if (tcpTarget) {
    const ok = forwarded(h, findServicePort(ctx, tcpTarget));
    r.tcp = { target: tcpTarget, ok };
    if (!ok) errors.push(`TCP connect to ${tcpTarget} failed`);
  }
  const dnsName = env.get('IPVS_BOT_DNS_NAME');
  if (dnsName) {
    const server = env.get('IPVS_BOT_DNS_SERVER') ?? '';
    const dnsPort = ctx.services.find((p) => (server ? p.clusterIP === server : p.name === 'kube-dns') && p.port === 53);
    const known = ctx.services.some((p) => [`${p.name}.${p.namespace}`, `${p.name}.${p.namespace}.svc`, `${p.name}.${p.namespace}.svc.cluster.local`].includes(dnsName.replace(/\.$/, '')));
    const ok = known && forwarded(h, dnsPort);
    r.dns = { name: dnsName, server, ok };
    if (!ok) errors.push(`DNS lookup of ${dnsName} failed`);
  }
  const ping = env.get('IPVS_BOT_PING_TARGET');
  if (ping) {
    const replies = h.answersPing(ping) ? 3 : 0;
    r.ping = { target: ping, replies };
    if (target === 'ipvs' && replies === 0) errors.push(`ClusterIP ${ping} does not answer ping: it is not bound to kube-ipvs0`);
    else if (target !== 'ipvs' && replies !== 0) errors.push(`ClusterIP ${ping} answers ping in ${target} mode: an IPVS leftover (kube-ipvs0) still owns it`);
  }
}

function cleanup(h: HostState, env: Map<string, string>, target: string, r: Record<string, unknown>, errors: string[], warnings: string[]) {
  if (!['ipvs', 'iptables', 'nftables'].includes(target)) { errors.push('unknown target mode'); return; }
  // Jobs from before the previous mode was passed: the old mode the target implied then.
  const from = env.get('IPVS_BOT_FROM_MODE') || (target === 'iptables' ? 'ipvs' : 'iptables');
  if (!['ipvs', 'iptables', 'nftables'].includes(from)) { errors.push('unknown previous mode'); return; }
  r.fromMode = from;
  const dry = env.get('IPVS_BOT_DRY_RUN') === '1';
  const before = leftovers(h);
  r.before = before;
  const removed = { iptablesChains: 0, iptablesRules: 0, ipvsServices: 0, kubeIpvs0: 0, ipsets: 0, nftTables: 0 };
  const rm = (set: Set<string>, re: RegExp) => (dry ? countMatching(set, re) : removeMatching(set, re));
  if (target === 'nftables') {
    // kube-proxy in nftables mode removed the iptables/IPVS state at start; this Job only checks that it did.
    if (before.iptablesModeChains > 0) warnings.push(`${before.iptablesModeChains} iptables-mode chains are still there after kube-proxy started in nftables mode`);
    if (before.ipvsModeChains > 0) warnings.push(`${before.ipvsModeChains} IPVS-mode chains are still there after kube-proxy started in nftables mode`);
    if (before.kubernetesIpvsServices > 0) warnings.push(`${before.kubernetesIpvsServices} IPVS services created by Kubernetes are still there after kube-proxy started in nftables mode`);
  } else if (from === 'nftables') {
    // kube-proxy in iptables/IPVS mode deletes the nftables tables when it starts; remove any it missed.
    for (const t of kubeProxyNftTables(h)) { if (!dry) h.nftTables.delete(t); removed.nftTables++; }
  } else if (from === 'iptables' && target === 'ipvs') {
    removed.iptablesChains = rm(h.nat, IPTABLES_ONLY_NAT) + rm(h.filter, IPTABLES_ONLY_FILTER);
    removed.iptablesRules = removed.iptablesChains > 0 ? 4 : 0; // jumps from INPUT/OUTPUT/FORWARD/PREROUTING
  } else if (from === 'ipvs' && target === 'iptables') {
    for (const s of h.kubernetesIpvs()) { if (!dry) h.ipvs.delete(h.ipvsKey(s)); removed.ipvsServices++; }
    if (h.kubeIpvs0) { if (!dry) h.kubeIpvs0 = null; removed.kubeIpvs0 = 1; }
    removed.iptablesChains = rm(h.nat, IPVS_ONLY_NAT) + rm(h.filter, IPVS_ONLY_FILTER);
    removed.ipsets = rm(h.ipsets, /^KUBE-/);
  }
  r.removed = removed;
  r.dryRun = dry;
  const foreign = h.foreignIpvs().map(vsText);
  r.kept = { foreignIpvsServices: foreign.length, foreign: foreign.slice(0, 10) };
  r.after = leftovers(h);
}

/** `kube-proxy --cleanup` (domain §6.6): flushes ALL IPVS services, kube-ipvs0, every KUBE- chain and set, nft tables. */
function kubeProxyCleanup(h: HostState, ctx: AgentContext): JobRun {
  const n = h.ipvs.size;
  h.ipvs.clear();
  h.kubeIpvs0 = null;
  removeMatching(h.nat, /^KUBE-/);
  removeMatching(h.filter, /^KUBE-/);
  removeMatching(h.ipsets, /^KUBE-/);
  h.nftTables.clear();
  ctx.resync?.();
  return { exitCode: 0, message: '', log: [`I0000 cleanup.go:1] "Flushed IPVS table" services=${n}`, 'I0000 cleanup.go:2] "Deleted kube-ipvs0"'] };
}
