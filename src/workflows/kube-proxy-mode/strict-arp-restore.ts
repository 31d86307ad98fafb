// strictARP (ipvs.strictARP) makes kube-proxy set net.ipv4.conf.all.arp_ignore=1 / arp_announce=2 host-wide
// (pkg/proxy/ipvs/proxier.go NewProxier), and nothing resets them when IPVS mode ends (domain §6.6, §8.1 step 3).
// When a migration turned strictARP on, leaving IPVS again puts back the values its prep Jobs found.
import { readKubeProxySettings } from '../../k8s/kube-proxy-config.js';
import type { PlanInput } from './api.js';

export const STRICT_ARP_SYSCTLS = ['net.ipv4.conf.all.arp_ignore', 'net.ipv4.conf.all.arp_announce'] as const;

/** The values to restore per node, compact: the common map, plus the nodes that differ from it. */
export interface SysctlRestore { common: Record<string, string>; nodes?: Record<string, Record<string, string>> }

/** Did this migration turn strictARP on (asked for it, and config.conf did not have it before)? */
export function turnedOnStrictArp(input: Pick<PlanInput, 'targetMode' | 'strictArp'>, snapshotText: string): boolean {
  if (input.targetMode !== 'ipvs' || !input.strictArp) return false;
  try { return !readKubeProxySettings(snapshotText).strictARP; } catch { return false; }
}

/** From each node's prep result (`sysctlsBefore`), the strictARP values to put back; undefined when none were read. */
export function sysctlRestoreOf(prep: Record<string, { sysctlsBefore?: unknown }>): SysctlRestore | undefined {
  const per = new Map<string, Record<string, string>>();
  for (const [node, r] of Object.entries(prep)) {
    const before = r.sysctlsBefore;
    if (!before || typeof before !== 'object') continue;
    const vals: Record<string, string> = {};
    for (const k of STRICT_ARP_SYSCTLS) {
      const v = (before as Record<string, unknown>)[k];
      if (typeof v === 'string' && /^\d{1,3}$/.test(v.trim())) vals[k] = v.trim();
    }
    if (Object.keys(vals).length > 0) per.set(node, vals);
  }
  if (per.size === 0) return undefined;
  const counts = new Map<string, number>();
  for (const v of per.values()) { const k = JSON.stringify(v); counts.set(k, (counts.get(k) ?? 0) + 1); }
  const commonKey = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  const nodes: Record<string, Record<string, string>> = {};
  for (const [n, v] of per) if (JSON.stringify(v) !== commonKey) nodes[n] = v;
  return { common: JSON.parse(commonKey) as Record<string, string>, ...(Object.keys(nodes).length > 0 ? { nodes } : {}) };
}

export function restoreFor(r: SysctlRestore | undefined, node: string): Record<string, string> | undefined {
  if (!r) return undefined;
  return r.nodes?.[node] ?? r.common;
}
