// The plan digest (DESIGN.md step 1): sha256 over the canonical JSON of what the approvers saw. Recomputed from
// live facts before the run starts and before the switch; any difference voids the approvals.
import { createHash } from 'node:crypto';
import type { PlanInput } from './api.js';
import { configText, type ClusterFacts } from './facts.js';
import { rehearsalDigestPart, type Rehearsal } from '../rehearsal/rehearsal-result.js';

/** Version of the pre-flight rules and step semantics; bump when they change what a plan means. */
// 2: prep checks what the target mode needs (nftables: kernel ≥ 5.13 + nft; iptables: no IPVS modules); IPVS on
// ≥ 1.40 depends on the KubeProxyIPVS gate.
export const POLICY_VERSION = 'kube-proxy-mode/2';
export const BOT_VERSION = '0.1.0';

export interface ApprovalPolicy {
  requiredApprovals: number;
  approvers: { users: string[]; usergroups: string[] };
  production: boolean;
}

export interface DigestInputs {
  clusterUid: string;
  nodes: string[];
  configMap: { resourceVersion: string; content: string } | null;
  daemonSetGeneration: number | null;
  /** What the run will write: the migrate input, or for a rollback the snapshot it restores. */
  target: Record<string, unknown>;
  policyVersion: string;
  botVersion: string;
  /** The plan's rehearsal outcome (issue #13): approvers approve what it showed. Absent on plans made without one. */
  rehearsal?: Record<string, unknown>;
}

export function digestInputs(facts: ClusterFacts, target: Record<string, unknown>, policy: ApprovalPolicy, rehearsal?: Rehearsal): DigestInputs {
  const text = configText(facts);
  return {
    clusterUid: facts.clusterUid,
    nodes: facts.nodes.map((n) => n.name).sort(),
    configMap: facts.configMap && text !== undefined ? { resourceVersion: facts.configMap.resourceVersion, content: text } : null,
    daemonSetGeneration: facts.daemonSet?.generation ?? null,
    target,
    policyVersion: `${POLICY_VERSION}+${sha256(canonicalJson(policy)).slice(0, 12)}`,
    botVersion: BOT_VERSION,
    ...(rehearsal ? { rehearsal: rehearsalDigestPart(rehearsal) } : {}),
  };
}

export function planDigest(facts: ClusterFacts, target: Record<string, unknown>, policy: ApprovalPolicy, rehearsal?: Rehearsal): string {
  return sha256(canonicalJson(digestInputs(facts, target, policy, rehearsal)));
}

/** The migrate target as it enters the digest: the whole parsed input (batch and cleanup change the run too). */
export function migrateTarget(input: PlanInput): Record<string, unknown> {
  return { kind: 'migrate', ...input };
}

export function rollbackTarget(parentRunId: string, snapshotText: string): Record<string, unknown> {
  return { kind: 'rollback', parentRunId, snapshotSha256: sha256(snapshotText) };
}

/** JSON with object keys sorted at every level; undefined members dropped, as JSON.stringify does. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
