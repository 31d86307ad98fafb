// cleanup phase (targeted) of the simulated node side, per the node-Job contract: removes only what kube-proxy itself
// creates — its fixed chains (and the rules in or jumping to them), its fixed ipset names (and rules matching them),
// the virtual servers that are Kubernetes' by the ownership rule, kube-ipvs0, its nftables tables — and restores the
// strictARP sysctls when asked. Another tool's `KUBE-`-prefixed sets and chains (kube-router) stay.
import { IPTABLES_ONLY_FILTER, IPTABLES_ONLY_NAT, IPVS_ONLY_FILTER, IPVS_ONLY_NAT, type HostState } from './host-state.js';
import { kubeProxyIpsetNames } from './kube-proxy-names.js';
import { MODES, type Phase, kubeProxyNftTables, leftovers, vsText } from './agent-common.js';

const RESTORABLE = new Set(['net.ipv4.conf.all.arp_ignore', 'net.ipv4.conf.all.arp_announce']);

/** Deletes the chains matching `re` from one table and the rules in or jumping to them; returns [chains, rules]. */
function dropChains(h: HostState, table: 'nat' | 'filter', re: RegExp, dry: boolean): [number, number] {
  const set = table === 'nat' ? h.nat : h.filter;
  const gone = [...set].filter((c) => re.test(c));
  const rules = h.removeRules((r) => r.table === table && (gone.includes(r.chain) || gone.includes(r.target)), dry);
  if (!dry) for (const c of gone) set.delete(c);
  return [gone.length, rules];
}

export function cleanup(p: Phase): void {
  const { h, env, target, r, errors, warnings } = p;
  if (!MODES.includes(target)) { errors.push('unknown target mode'); return; }
  // Jobs from before the previous mode was passed: the old mode the target implied then.
  const from = env.get('IPVS_BOT_FROM_MODE') || (target === 'iptables' ? 'ipvs' : 'iptables');
  if (!MODES.includes(from)) { errors.push('unknown previous mode'); return; }
  r.fromMode = from;
  const dry = env.get('IPVS_BOT_DRY_RUN') === '1';
  const restore = parseRestore(env.get('IPVS_BOT_RESTORE_SYSCTLS'), errors);
  if (restore === null) return;
  const before = leftovers(h, p.tokens);
  r.before = before;
  const removed = { iptablesChains: 0, iptablesRules: 0, ipvsServices: 0, kubeIpvs0: 0, ipsets: 0, nftTables: 0 };
  const drop = (table: 'nat' | 'filter', re: RegExp) => { const [c, n] = dropChains(h, table, re, dry); removed.iptablesChains += c; removed.iptablesRules += n; };
  if (target === 'nftables') {
    // kube-proxy in nftables mode removed the iptables/IPVS state at start; this Job only checks that it did.
    if (before.iptablesModeChains > 0) warnings.push(`${before.iptablesModeChains} iptables-mode chains are still there after kube-proxy started in nftables mode`);
    if (before.ipvsModeChains > 0) warnings.push(`${before.ipvsModeChains} IPVS-mode chains are still there after kube-proxy started in nftables mode`);
    if (before.kubernetesIpvsServices > 0) warnings.push(`${before.kubernetesIpvsServices} IPVS services created by Kubernetes are still there after kube-proxy started in nftables mode`);
  } else if (from === 'nftables') {
    // kube-proxy in iptables/IPVS mode deletes the nftables tables when it starts; remove any it missed.
    for (const t of kubeProxyNftTables(h)) { if (!dry) h.nftTables.delete(t); removed.nftTables++; }
  } else if (from === 'iptables' && target === 'ipvs') {
    drop('nat', IPTABLES_ONLY_NAT);
    drop('filter', IPTABLES_ONLY_FILTER);
  } else if (from === 'ipvs' && target === 'iptables') {
    for (const s of h.kubernetesIpvs(p.tokens)) { if (!dry) h.ipvs.delete(h.ipvsKey(s)); removed.ipvsServices++; }
    if (h.kubeIpvs0) { if (!dry) h.kubeIpvs0 = null; removed.kubeIpvs0 = 1; }
    drop('nat', IPVS_ONLY_NAT);
    drop('filter', IPVS_ONLY_FILTER);
    // a rule elsewhere that matches one of kube-proxy's sets would keep `ipset destroy` from working: it goes first
    const own = kubeProxyIpsetNames();
    removed.iptablesRules += h.removeRules((x) => (x.sets ?? []).some((s) => own.has(s)), dry);
    for (const s of h.kubeProxyIpsets()) { if (!dry) h.ipsets.delete(s); removed.ipsets++; }
  }
  r.removed = removed;
  r.dryRun = dry;
  if (restore.size > 0) {
    const done: Record<string, string> = {};
    for (const [k, v] of restore) { if (!dry) h.sysctls.set(k, v); done[k] = v; }
    r.restoredSysctls = done;
  }
  const foreign = h.foreignIpvs(p.tokens).map(vsText);
  r.kept = { foreignIpvsServices: foreign.length, foreign: foreign.slice(0, 10) };
  r.after = leftovers(h, p.tokens);
}

/** IPVS_BOT_RESTORE_SYSCTLS: `key=value …`, keys from the strictARP pair, values digits; anything else: nothing applied. */
function parseRestore(text: string | undefined, errors: string[]): Map<string, string> | null {
  const out = new Map<string, string>();
  for (const item of (text ?? '').split(/\s+/).filter(Boolean)) {
    const m = /^([a-z0-9_.]+)=(\d{1,3})$/.exec(item);
    if (!m || !RESTORABLE.has(m[1] ?? '')) { errors.push(`invalid IPVS_BOT_RESTORE_SYSCTLS entry ${JSON.stringify(item.slice(0, 80))}: nothing was restored`); return null; }
    out.set(m[1] ?? '', m[2] ?? '');
  }
  return out;
}
