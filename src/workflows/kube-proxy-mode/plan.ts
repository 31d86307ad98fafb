// Pure: facts + input + the cluster's policy + the time → the Plan the approvers see (DESIGN.md step 1). Nothing
// here reads the clock or the network; apply-side steps recompute the same config text from live facts.
import { diffConfig, readKubeProxySettings, setProxyMode, type ProxyModeChange } from '../../k8s/kube-proxy-config.js';
import { planRollout, type RolloutOrder } from '../../k8s/rollout.js';
import type { NodeInfo } from '../../k8s/cluster.js';
import type { ClusterConfig } from '../../config.js';
import type { Check, NodeFacts, Plan, PlanInput, ProxyMode } from './api.js';
import { isBlocked, runChecks } from './checks.js';
import { migrateTarget, planDigest, rollbackTarget, type ApprovalPolicy } from './digest.js';
import { configText, type ClusterFacts } from './facts.js';
import { adviseFromFacts } from './advice.js';
import { ruleContext } from './rules/rule.js';
import { metricsAddressOf, serviceVsTokens } from './verify-targets.js';

export interface PlanPolicy extends ApprovalPolicy { name: string; approvalTtlMs: number }
export interface PlanClock { now(): number }

/** The parts of a cluster's config that a plan depends on (and that enter its digest). */
export function policyOf(c: ClusterConfig): PlanPolicy {
  return { name: c.name, production: c.production, requiredApprovals: c.requiredApprovals, approvalTtlMs: c.approvalTtlMs, approvers: c.approvers };
}

/** The config.conf edit a migrate run makes: the mode, plus the IPVS scheduler / strictARP when moving to IPVS. */
export function configChange(input: PlanInput): ProxyModeChange {
  if (input.targetMode !== 'ipvs') return { mode: input.targetMode };
  // strictARP is only ever turned on: turning it off unasked would break MetalLB on a cluster that had it.
  return { mode: 'ipvs', scheduler: input.scheduler, ...(input.strictArp ? { strictARP: true } : {}) };
}

/** config.conf after the switch, or undefined when the current text cannot be edited (a check blocks then). */
export function plannedConfigText(current: string, input: PlanInput): string | undefined {
  try { return setProxyMode(current, configChange(input)); } catch { return undefined; }
}

export function assemblePlan(facts: ClusterFacts, input: PlanInput, policy: PlanPolicy, clock: PlanClock): Plan {
  const checks = runChecks(facts, input, 'migrate');
  const text = configText(facts);
  const after = text === undefined ? undefined : plannedConfigText(text, input);
  const now = clock.now();
  return {
    cluster: facts.cluster,
    kind: 'migrate',
    version: facts.version.gitVersion,
    currentMode: currentModeOf(text),
    targetMode: input.targetMode,
    input,
    nodes: facts.nodes.map(nodeFacts),
    checks,
    configDiff: text !== undefined && after !== undefined ? diffConfig(text, after) : '',
    rollout: rolloutOrder(facts.nodes, input.batch),
    cleanup: { method: input.cleanup },
    risks: risks(checks, input, currentModeOf(text)),
    advice: adviseFromFacts(facts, input.targetMode),
    ...clusterParts(facts, input),
    digest: planDigest(facts, migrateTarget(input), policy),
    basis: basisOf(facts),
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + policy.approvalTtlMs).toISOString(),
  };
}

export interface RollbackSource { parentRunId: string; parentInput: PlanInput; snapshotText: string }

/** A rollback restores the parent run's snapshot of config.conf and restarts every node into that mode. */
export function assembleRollbackPlan(facts: ClusterFacts, src: RollbackSource, policy: PlanPolicy, clock: PlanClock): Plan {
  const targetMode = currentModeOf(src.snapshotText);
  const input: PlanInput = { ...src.parentInput, targetMode, cleanup: 'targeted', autoRollback: false };
  const checks = runChecks(facts, input, 'rollback');
  const text = configText(facts);
  if (text !== undefined && currentModeOf(text) === targetMode && text === src.snapshotText) {
    checks.push({ id: 'rollback-needed', verdict: 'warn', message: `config.conf already matches the snapshot (${targetMode}); the rollback only restarts and verifies the nodes.` });
  }
  const now = clock.now();
  return {
    cluster: facts.cluster,
    kind: 'rollback',
    version: facts.version.gitVersion,
    currentMode: currentModeOf(text),
    targetMode,
    input,
    nodes: facts.nodes.map(nodeFacts),
    checks,
    configDiff: text !== undefined ? diffConfig(text, src.snapshotText) : '',
    rollout: rolloutOrder(facts.nodes, input.batch),
    cleanup: { method: 'targeted' },
    risks: [
      `Restores config.conf exactly as it was before run ${src.parentRunId}.`,
      `Each node's kube-proxy restarts once; ${leavingText(currentModeOf(text), targetMode)}`,
      ...checks.filter((c) => c.verdict === 'warn').map((c) => c.message),
    ],
    ...clusterParts(facts, input),
    digest: planDigest(facts, rollbackTarget(src.parentRunId, src.snapshotText), policy),
    basis: basisOf(facts),
    createdAt: new Date(now).toISOString(),
    expiresAt: new Date(now + policy.approvalTtlMs).toISOString(),
  };
}

/** What a rollback removes after each restart, by the mode it leaves. */
function leavingText(from: ProxyMode, to: ProxyMode): string {
  if (from === to) return 'nothing of another mode should be left; a Job checks.';
  if (from === 'ipvs') return 'kube-ipvs0 and the IPVS services Kubernetes created are removed after it.';
  if (from === 'nftables') return 'kube-proxy deletes its nftables tables when it starts; a Job removes any it missed.';
  return to === 'nftables' ? 'kube-proxy in nftables mode removes the iptables rules itself; a Job checks.' : 'the iptables mode\'s chains are removed after it.';
}

/** Skipped nodes, the DNS domain and what the node Jobs are told (kube-proxy version, Kubernetes' own VS). */
function clusterParts(facts: ClusterFacts, input: PlanInput): Pick<Plan, 'skipped' | 'clusterDomain' | 'jobContext'> {
  const minor = ruleContext(facts, input, 'migrate').kubeProxyVersion?.minor;
  const vs = serviceVsTokens(facts.services);
  let metrics: string | undefined;
  try { const t = configText(facts); if (t !== undefined) metrics = metricsAddressOf(readKubeProxySettings(t).metricsBindAddress); } catch { /* the checks judge the text */ }
  return {
    ...(facts.skippedNodes?.length ? { skipped: facts.skippedNodes.map((s) => ({ ...s })) } : {}),
    ...(facts.clusterDomain ? { clusterDomain: { ...facts.clusterDomain } } : {}),
    jobContext: {
      ...(minor !== undefined ? { kubeProxyMinor: minor } : {}), ...(vs.tokens.length > 0 ? { serviceVs: vs.tokens } : {}),
      ...(metrics ? { metricsAddress: metrics } : {}),
    },
  };
}

function basisOf(facts: ClusterFacts): NonNullable<Plan['basis']> {
  return {
    clusterUid: facts.clusterUid,
    ...(facts.configMap ? { configMapResourceVersion: facts.configMap.resourceVersion } : {}),
    ...(facts.daemonSet ? { daemonSetGeneration: facts.daemonSet.generation } : {}),
  };
}

export function planBlocked(plan: Plan): boolean {
  return isBlocked(plan.checks);
}

function currentModeOf(text: string | undefined): ProxyMode {
  if (text === undefined) return 'iptables';
  try {
    const m = readKubeProxySettings(text).mode;
    return m === '' ? 'iptables' : m;
  } catch { return 'iptables'; }
}

export function isControlPlane(n: NodeInfo): boolean {
  return 'node-role.kubernetes.io/control-plane' in n.labels || 'node-role.kubernetes.io/master' in n.labels;
}

function nodeFacts(n: NodeInfo): NodeFacts {
  return {
    name: n.name, ready: n.ready, kernel: n.kernelVersion, osImage: n.osImage, runtime: n.containerRuntimeVersion,
    taints: n.taints.map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`),
    controlPlane: isControlPlane(n),
  };
}

function rolloutOrder(nodes: NodeInfo[], batch: PlanInput['batch']): RolloutOrder {
  if (nodes.length === 0) return { canary: '', batches: [] };
  return planRollout(nodes.map((n) => ({ name: n.name, controlPlane: isControlPlane(n) })), batch);
}

function risks(checks: Check[], input: PlanInput, current: ProxyMode): string[] {
  const out = [
    'Each node\'s kube-proxy restarts once: established connections keep flowing, Service changes on that node wait for its first sync (seconds).',
  ];
  if (input.cleanup === 'targeted') {
    // kube-proxy cleans across nftables and the other modes by itself (domain §6.6); the Job checks or finishes it.
    if (input.targetMode === 'nftables') out.push(`kube-proxy in nftables mode removes the ${current} mode's rules itself; after each node switches, a Job checks that it did.`);
    else if (current === 'nftables') out.push(`kube-proxy in ${input.targetMode} mode deletes the nftables mode's tables when it starts; after each node switches, a Job removes any it missed.`);
    else out.push(`After each node switches, a Job removes only the ${current} mode's leftovers from it.`);
  }
  out.push(...checks.filter((c) => c.verdict === 'warn').map((c) => c.message));
  return out;
}
