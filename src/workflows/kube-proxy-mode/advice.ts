// Which kube-proxy mode to pick, and what to know before switching (issue #7; domain §6.4, §6.5, §7). Pure: the
// cluster's kube-proxy version, node kernels, add-ons and Services in; a one-line recommendation with its reason and
// the caveats out. It never blocks anything (checks.ts does); it says what upstream recommends and why.
import { parse as parseYaml } from 'yaml';
import { PlanInput, type PlanAdvice, type ProxyMode } from './api.js';
import { configText, type ClusterFacts, type Workload } from './facts.js';
import { nameList, ruleContext } from './rules/rule.js';
import { below, format, parseKernel, parseKubeVersion, type MajorMinor } from './versions.js';

export interface AdviceService {
  namespace: string;
  name: string;
  /** ClusterIP | NodePort | LoadBalancer | ExternalName, when the adapter reports it. */
  type?: string;
  externalTrafficPolicy?: string;
}

export interface AdviceInput {
  /** kube-proxy's version ("v1.35.0"); unparseable → the advice says so. */
  version: string;
  currentMode: ProxyMode;
  /** The mode a plan asks for; caveats about leaving/entering a mode are tailored to it. */
  targetMode?: ProxyMode;
  nodes: { name: string; kernelVersion: string }[];
  workloads: Workload[];
  services: AdviceService[];
  /** featureGates.KubeProxyIPVS in config.conf, when written there. */
  ipvsFeatureGate?: boolean;
  /** iptables.localhostNodePorts in config.conf (null/absent = kube-proxy's default, true). */
  localhostNodePorts?: boolean;
  /** config.conf says `mode: ""`: kube-proxy picks its default (iptables on Linux today). */
  modeUnset?: boolean;
  /** false: no kube-system/kube-proxy DaemonSet (embedded, static pod, or replaced by the CNI). */
  kubeProxyPresent?: boolean;
}

export type Advice = PlanAdvice;

// KEP-5495 as updated by kubernetes/enhancements #6120 (domain §7): dates are upstream's plan, not releases.
export const IPVS_DEPRECATED = { major: 1, minor: 35 };
export const IPVS_GATE_ADDED = { major: 1, minor: 37 };
export const IPVS_DEFAULT_OFF = { major: 1, minor: 40 };
export const IPVS_REMOVED = { major: 1, minor: 43 };
// KEP-3866: beta (on by default) in 1.31, GA in 1.33; kernel ≥ 5.13.
export const NFTABLES_BETA = { major: 1, minor: 31 };
export const NFTABLES_GA = { major: 1, minor: 33 };
export const NFTABLES_KERNEL = { major: 5, minor: 13 };
// KEP-5343 (planned): a warning in 1.37 when iptables is the implicit default, nftables the default in 1.40.
export const NFTABLES_DEFAULT = { major: 1, minor: 40 };

const atLeast = (v: MajorMinor, m: { major: number; minor: number }) => !below(v, m.major, m.minor);

export function nftablesKernels(nodes: AdviceInput['nodes']): Advice['nftablesKernels'] {
  const out: Advice['nftablesKernels'] = { ok: 0, tooOld: [], unknown: [] };
  for (const n of nodes) {
    const k = parseKernel(n.kernelVersion);
    if (!k) out.unknown.push(n.name);
    else if (below(k, NFTABLES_KERNEL.major, NFTABLES_KERNEL.minor)) out.tooOld.push(n.name);
    else out.ok++;
  }
  return out;
}

function kernelOf(nodes: AdviceInput['nodes'], name: string): string {
  return nodes.find((n) => n.name === name)?.kernelVersion ?? '?';
}

/** What kube-proxy replacements and CNIs change about the choice (domain §3, §6.7, §7). */
function cniNotes(ws: Workload[], target: ProxyMode | undefined): string[] {
  const out: string[] = [];
  const has = (name: string) => ws.some((w) => w.name === name && w.kind === 'DaemonSet');
  if (has('cilium')) {
    out.push('Cilium runs here: if its kube-proxy replacement is on, Services do not go through kube-proxy and its mode does not matter.');
  }
  if (has('calico-node')) {
    out.push('Calico runs here: Felix detects the kube-proxy mode only at start-up, so calico-node is restarted on each node after kube-proxy.');
  }
  if (target === 'nftables' || target === undefined) {
    out.push('nftables mode: the CNI and its NetworkPolicy implementation must work alongside kube-proxy\'s nftables rules; check the CNI\'s documentation first.');
  }
  if (target === 'ipvs' && ws.some((w) => w.namespace === 'metallb-system' || /metallb|kube-vip/.test(w.name))) {
    out.push('MetalLB/kube-vip runs here: IPVS mode needs strictARP (plan with --strict-arp).');
  }
  return out;
}

function ipvsTimeline(v: MajorMinor | undefined, gate: boolean | undefined, relevant: boolean): string[] {
  if (!relevant) return [];
  if (!v) return ['kube-proxy version unknown: IPVS mode is deprecated upstream from 1.35 and planned to be off by default from 1.40.'];
  const ver = format(v);
  if (atLeast(v, IPVS_REMOVED)) {
    return [`kube-proxy ${ver}: the IPVS proxier is planned to be removed in 1.43 (feature gate KubeProxyIPVS locked off); IPVS mode will not start.`];
  }
  if (atLeast(v, IPVS_DEFAULT_OFF)) {
    return [gate === true
      ? `kube-proxy ${ver}: IPVS mode is off by default from 1.40; config.conf re-enables it with featureGates KubeProxyIPVS: true, until its planned removal in 1.43.`
      : `kube-proxy ${ver}: IPVS mode is off by default from 1.40 and needs featureGates: {KubeProxyIPVS: true} in config.conf, or kube-proxy exits with an error; removal is planned for 1.43.`];
  }
  if (atLeast(v, IPVS_DEPRECATED)) {
    return [`kube-proxy ${ver}: IPVS mode is deprecated (KEP-5495): every node logs an error-level deprecation line and gets an IPVSDeprecation Warning event; planned off by default in 1.40, removed in 1.43.`];
  }
  return [`kube-proxy ${ver}: IPVS mode is deprecated upstream from 1.35 (KEP-5495), planned off by default in 1.40 and removed in 1.43.`];
}

export function advise(inp: AdviceInput): Advice {
  const v = parseKubeVersion(inp.version);
  const kernels = nftablesKernels(inp.nodes);
  const target = inp.targetMode;
  const warnings: string[] = [];
  if (inp.kubeProxyPresent === false) {
    warnings.push('No kube-system/kube-proxy DaemonSet: kube-proxy is embedded (k3s), a static pod (RKE2) or replaced by the CNI; this advice only applies where kube-proxy itself handles Services.');
  }
  const ipvsRelevant = target === 'ipvs' || inp.currentMode === 'ipvs';
  warnings.push(...ipvsTimeline(v, inp.ipvsFeatureGate, ipvsRelevant));

  // Which nodes could run nftables (named, so the approver knows what to upgrade).
  if (kernels.tooOld.length > 0) {
    warnings.push(`nftables needs kernel 5.13 or later: ${kernels.ok} of ${inp.nodes.length} nodes qualify; too old: ${nameList(kernels.tooOld.map((n) => `${n} (${kernelOf(inp.nodes, n)})`), 5)}.`);
  } else if (inp.nodes.length > 0 && kernels.unknown.length === 0) {
    warnings.push(`Every node's kernel (${inp.nodes.length} nodes) allows nftables mode (5.13 or later).`);
  }
  if (kernels.unknown.length > 0) warnings.push(`Kernel version unknown on ${nameList(kernels.unknown, 5)}.`);

  // KEP-5343 plans nftables as kube-proxy's default in 1.40: an empty mode would then change meaning on upgrade.
  if (inp.modeUnset) {
    warnings.push(v && atLeast(v, NFTABLES_DEFAULT)
      ? `config.conf sets no mode and kube-proxy ${format(v)} may default to nftables (KEP-5343 plans that from 1.40): check /proxyMode on a node before trusting "iptables".`
      : 'config.conf sets no mode, so kube-proxy uses its default: iptables today, nftables from 1.40 as KEP-5343 plans. Writing the mode explicitly keeps an upgrade from switching it.');
  }
  // Leaving iptables: only iptables mode serves NodePorts on 127.0.0.1 (domain §6.5, CVE-2020-8558).
  const leavingIptables = inp.currentMode === 'iptables' && (target === undefined || target !== 'iptables');
  if (leavingIptables && inp.localhostNodePorts !== false) {
    warnings.push('NodePorts on 127.0.0.1 work only in iptables mode; IPVS and nftables drop them. Before switching, check kubeproxy_iptables_localhost_nodeports_accepted_packets_total on each node: non-zero means something uses localhost:<nodePort> and will break.');
  }
  if (target === 'nftables') {
    warnings.push('kube-proxy flushes the whole IPVS table each time it starts in nftables mode (its cleanup of IPVS mode), including services Kubernetes did not create (keepalived/LVS); the prep Jobs stop the run on nodes that have such services.');
    warnings.push('nftables mode serves NodePorts only on the node\'s primary IP (nodePortAddresses: primary) and has no conntrack invalid-packet drop (set conntrack.tcpBeLiberal if you relied on it).');
  }
  // externalTrafficPolicy: Local LoadBalancers behave differently in IPVS (domain §6.4).
  const localLbs = inp.services.filter((s) => s.type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local').map((s) => `${s.namespace}/${s.name}`);
  if (target === 'ipvs' || (target === undefined && inp.currentMode !== 'ipvs')) {
    warnings.push(localLbs.length > 0
      ? `LoadBalancer Services with externalTrafficPolicy: Local (${nameList(localLbs, 5)}): in IPVS mode, in-cluster clients reach their LB IP only on nodes with a local endpoint (k/k #93456).`
      : 'In IPVS mode, in-cluster access to a LoadBalancer IP with externalTrafficPolicy: Local fails on nodes without a local endpoint (k/k #93456); check such Services.');
  } else if (localLbs.length > 0) {
    warnings.push(`LoadBalancer Services with externalTrafficPolicy: Local (${nameList(localLbs, 5)}): check them after the switch; their traffic handling differs between modes.`);
  }
  warnings.push(...cniNotes(inp.workloads, target));
  return { recommendation: recommend(v, kernels, inp), warnings, nftablesKernels: kernels };
}

function recommend(v: MajorMinor | undefined, k: Advice['nftablesKernels'], inp: AdviceInput): Advice['recommendation'] {
  const n = inp.nodes.length;
  if (!v) return { mode: 'iptables', reason: 'kube-proxy\'s version is unknown, so nftables support cannot be confirmed; iptables is the mode every version supports.' };
  const ver = format(v);
  if (below(v, NFTABLES_BETA.major, NFTABLES_BETA.minor)) {
    return {
      mode: 'iptables',
      reason: `kube-proxy ${ver} predates nftables beta (1.31, GA in 1.33) and IPVS is deprecated from 1.35, so iptables it is until the upgrade; then nftables.`,
    };
  }
  if (k.tooOld.length > 0 || k.unknown.length > 0) {
    const which = k.tooOld.length > 0 ? `${k.tooOld.length} of ${n} nodes run a kernel older than 5.13 (${nameList(k.tooOld, 3)})` : `the kernel of ${nameList(k.unknown, 3)} is unknown`;
    return { mode: 'iptables', reason: `${which}, so nftables cannot run everywhere; upstream recommends iptables, not IPVS, on older kernels.` };
  }
  const stage = atLeast(v, NFTABLES_GA) ? 'GA' : 'beta';
  return {
    mode: 'nftables',
    reason: `every node runs kernel 5.13 or later and kube-proxy ${ver} has nftables ${stage}; it is upstream's recommended mode${inp.currentMode === 'ipvs' || inp.targetMode === 'ipvs' ? ' and the replacement for the deprecated IPVS mode' : ''}.`,
  };
}

/** "Recommended: nftables — every node runs …" */
export function recommendationLine(a: Pick<Advice, 'recommendation'>): string {
  return `Recommended: ${a.recommendation.mode} (${a.recommendation.reason.replace(/\.$/, '')}).`;
}

/** The advice for a cluster, from the facts a plan gathers (kube-proxy version as the rules read it). */
export function adviseFromFacts(facts: ClusterFacts, targetMode?: ProxyMode): Advice {
  const ctx = ruleContext(facts, PlanInput.parse({ targetMode: targetMode ?? 'ipvs' }), 'migrate');
  const text = configText(facts);
  const extra = configExtras(text);
  return advise({
    version: ctx.kubeProxyVersion ? `v${format(ctx.kubeProxyVersion)}` : facts.version.gitVersion,
    currentMode: ctx.currentMode ?? 'iptables',
    ...('mode' in ctx.settings && ctx.settings.mode === '' ? { modeUnset: true } : {}),
    kubeProxyPresent: facts.daemonSet !== undefined,
    ...(targetMode ? { targetMode } : {}),
    nodes: facts.nodes.map((nd) => ({ name: nd.name, kernelVersion: nd.kernelVersion })),
    workloads: facts.workloads,
    services: facts.services as AdviceService[],
    ...extra,
  });
}

/** featureGates.KubeProxyIPVS and iptables.localhostNodePorts from config.conf, when they are written there. */
export function configExtras(text: string | undefined): Pick<AdviceInput, 'ipvsFeatureGate' | 'localhostNodePorts'> {
  if (text === undefined) return {};
  let doc: unknown;
  try { doc = parseYaml(text); } catch { return {}; }
  if (!doc || typeof doc !== 'object') return {};
  const d = doc as { featureGates?: Record<string, unknown>; iptables?: { localhostNodePorts?: unknown } };
  const gate = d.featureGates?.KubeProxyIPVS;
  const lnp = d.iptables?.localhostNodePorts;
  return { ...(typeof gate === 'boolean' ? { ipvsFeatureGate: gate } : {}), ...(typeof lnp === 'boolean' ? { localhostNodePorts: lnp } : {}) };
}
