// Node rules: every node must be Ready (a NotReady node cannot be prepared or verified), and kernels must carry
// the target mode (domain §1.1, §6.1, §7: < 4.1 block, < 4.19 nf_conntrack_ipv4, < 5.9 conn_reuse_mode, nftables ≥ 5.13).
import type { Check } from '../api.js';
import { below, parseKernel } from '../versions.js';
import { nameList, type Rule } from './rule.js';

export const hasNodes: Rule = ({ facts }) =>
  facts.nodes.length === 0 ? { id: 'nodes', verdict: 'block', message: 'The cluster reports no nodes.' } : undefined;

export const nodesReady: Rule = ({ facts }) => {
  const notReady = facts.nodes.filter((n) => !n.ready).map((n) => n.name);
  if (notReady.length > 0) {
    return {
      id: 'nodes-ready', verdict: 'block', nodes: notReady,
      message: `${notReady.length} node(s) are NotReady: ${nameList(notReady)}. Bring them back or remove them from the cluster, then plan again.`,
    };
  }
  return { id: 'nodes-ready', verdict: 'pass', message: `All ${facts.nodes.length} nodes are Ready.` };
};

export const kernels: Rule = ({ facts, input }) => {
  const out: Check[] = [];
  const unknown: string[] = [];
  const group = (pred: (major: number, minor: number) => boolean) =>
    facts.nodes.filter((n) => {
      const k = parseKernel(n.kernelVersion);
      if (!k) return false;
      return pred(k.major, k.minor);
    }).map((n) => n.name);
  for (const n of facts.nodes) if (!parseKernel(n.kernelVersion)) unknown.push(n.name);
  if (unknown.length > 0) {
    out.push({ id: 'kernel-unknown', verdict: 'warn', nodes: unknown, message: `Kernel version not reported by ${nameList(unknown)}; the prep Job will check it.` });
  }
  if (input.targetMode === 'ipvs') {
    const tooOld = group((a, b) => below({ major: a, minor: b }, 4, 1));
    const oldConntrack = group((a, b) => !below({ major: a, minor: b }, 4, 1) && below({ major: a, minor: b }, 4, 19));
    const connReuse = group((a, b) => !below({ major: a, minor: b }, 4, 1) && below({ major: a, minor: b }, 5, 9));
    if (tooOld.length > 0) {
      out.push({
        id: 'kernel-minimum', verdict: 'block', nodes: tooOld,
        message: `Kernel older than 4.1 on ${nameList(tooOld)}: kube-proxy cannot set conn_reuse_mode there and IPVS misbehaves. Upgrade the kernel or stay on iptables.`,
      });
    } else {
      out.push({ id: 'kernel-minimum', verdict: 'pass', message: 'Every node runs kernel 4.1 or later.' });
    }
    if (oldConntrack.length > 0) {
      out.push({
        id: 'kernel-conntrack', verdict: 'warn', nodes: oldConntrack,
        message: `Kernel older than 4.19 on ${nameList(oldConntrack)}: the prep Job loads nf_conntrack_ipv4 instead of nf_conntrack.`,
      });
    }
    if (connReuse.length > 0) {
      out.push({
        id: 'kernel-conn-reuse', verdict: 'warn', nodes: connReuse,
        message: `Kernel older than 5.9 on ${nameList(connReuse)}: kube-proxy sets conn_reuse_mode=0, so a reused source port can reach a removed backend.`,
      });
    }
  }
  if (input.targetMode === 'nftables') {
    const tooOld = group((a, b) => below({ major: a, minor: b }, 5, 13));
    if (tooOld.length > 0) {
      out.push({ id: 'kernel-nftables', verdict: 'block', nodes: tooOld, message: `nftables mode needs kernel 5.13 or later; older on ${nameList(tooOld)}.` });
    }
  }
  return out;
};

/** Nodes kube-proxy's DaemonSet does not run on are left alone (node-coverage.ts); the approver sees which and why. */
export const skippedNodes: Rule = ({ facts }) => {
  const skipped = facts.skippedNodes ?? [];
  if (skipped.length === 0) return undefined;
  const first = skipped[0]!;
  return {
    id: 'nodes-skipped', verdict: 'warn', nodes: skipped.map((s) => s.node),
    message: `${skipped.length} node(s) are skipped, with no Job and no restart: ${nameList(skipped.map((s) => s.node))} (${first.node}: ${first.reason}${skipped.length > 1 ? '; the plan lists each reason' : ''}).`,
  };
};

/** The DNS check resolves kubernetes.default.svc.<clusterDomain>; say so when the domain could not be read. */
export const clusterDomain: Rule = ({ facts }) => {
  if (!facts.clusterDomain || facts.clusterDomain.source !== 'default') return undefined;
  return {
    id: 'cluster-domain', verdict: 'warn',
    message: 'Could not read the cluster DNS domain (kube-system/kubelet-config or the CoreDNS Corefile); the DNS check assumes cluster.local. A cluster with another clusterDomain fails that check on every node.',
  };
};
