// Run-time verdicts on the prep Jobs' results (before the switch): any node that could not be prepared stops the
// run, because on kube-proxy ≥ 1.26 an unprepared node crash-loops instead of falling back (domain §1.5).
import type { Check, PlanInput } from '../api.js';
import { missingModules, type PrepResult } from '../node-results.js';
import { nameList } from './rule.js';

export function prepChecks(results: Record<string, PrepResult>, input: PlanInput): Check[] {
  const out: Check[] = [];
  const missing: string[] = [];
  const failed: string[] = [];
  const foreign: string[] = [];
  const foreignVs: string[] = [];
  const details: string[] = [];
  for (const [node, r] of Object.entries(results)) {
    const mods = missingModules(r);
    if (mods.length > 0) { missing.push(node); details.push(`${node}: missing ${mods.join(', ')}`); }
    else if (!r.ok) { failed.push(node); details.push(`${node}: ${r.errors[0] ?? 'prep failed'}`); }
    if ((r.foreignIpvsServicesCount ?? r.foreignIpvsServices?.length ?? 0) > 0) {
      foreign.push(node);
      for (const vs of r.foreignIpvsServices ?? []) if (!foreignVs.includes(vs) && foreignVs.length < 5) foreignVs.push(vs);
    }
  }
  if (missing.length > 0) {
    out.push({
      id: 'prep-modules', verdict: 'block', nodes: missing,
      message: `${input.targetMode === 'ipvs' ? 'IPVS kernel modules' : `Kernel modules for ${input.targetMode} mode`} could not be loaded on ${nameList(missing)}; kube-proxy would crash-loop there.`,
    });
  }
  if (failed.length > 0) {
    out.push({ id: 'prep-failed', verdict: 'block', nodes: failed, message: `Node preparation failed on ${nameList(failed)}.` });
  }
  if (foreign.length > 0 && input.targetMode === 'nftables') {
    // kube-proxy's own start-up cleanup in nftables mode (platformCleanup → ipvs.CleanupLeftovers) flushes the whole
    // IPVS table whenever ip_vs loads, on every start: such services cannot coexist with nftables mode.
    out.push({
      id: 'prep-foreign-ipvs', verdict: 'block', nodes: foreign,
      message: `IPVS services not created by Kubernetes (keepalived/LVS?${foreignVs.length ? `: ${foreignVs.join(', ')}` : ''}) exist on ${nameList(foreign)}; kube-proxy flushes the whole IPVS table each time it starts in nftables mode. Move them off these nodes first, or stay on iptables or IPVS.`,
    });
  } else if (foreign.length > 0) {
    out.push({
      id: 'prep-foreign-ipvs', verdict: input.cleanup === 'kube-proxy' ? 'block' : 'warn', nodes: foreign,
      message: input.cleanup === 'kube-proxy'
        ? `IPVS services not created by Kubernetes${foreignVs.length ? ` (${foreignVs.join(', ')})` : ''} exist on ${nameList(foreign)}; kube-proxy --cleanup would delete them. Plan again with --cleanup targeted.`
        : `IPVS services not created by Kubernetes${foreignVs.length ? ` (${foreignVs.join(', ')})` : ''} exist on ${nameList(foreign)}; targeted cleanup leaves them alone.`,
    });
  }
  if (out.length === 0) out.push({ id: 'prep', verdict: 'pass', message: `All ${Object.keys(results).length} nodes are prepared.` });
  if (details.length > 0) out.push({ id: 'prep-details', verdict: 'block', message: details.slice(0, 20).join('; ') });
  return out;
}
