// Pre-flight verdicts (DESIGN.md step 1, domain §7): each rule is a small pure function; this file fixes their order.
// A plan is blocked when any verdict is 'block'.
import type { Check, PlanInput } from './api.js';
import type { ClusterFacts } from './facts.js';
import { calico, cilium, kubespray, strictArp } from './rules/addons.js';
import {
  autoRollback, cleanupMethod, configReadable, ipvsDeprecation, kubeProxyHealthy, kubeProxyPresent, notAlreadyTarget,
  nftablesSupported, updateStrategy,
} from './rules/kube-proxy.js';
import { clusterDomain, hasNodes, kernels, nodesReady, skippedNodes } from './rules/nodes.js';
import { managedPlatform } from './rules/platform.js';
import { ruleContext, type Rule, type RuleContext } from './rules/rule.js';

const MIGRATE_RULES: Rule[] = [
  managedPlatform, kubeProxyPresent, configReadable, notAlreadyTarget, hasNodes, nodesReady, skippedNodes, clusterDomain, kubeProxyHealthy,
  kernels, ipvsDeprecation, nftablesSupported, strictArp, calico, cilium, kubespray, updateStrategy, cleanupMethod, autoRollback,
];

// A rollback must stay possible in a degraded cluster, so it skips the health and advisory rules: it only needs
// kube-proxy's objects, readable config and Ready nodes to restart and verify.
const ROLLBACK_RULES: Rule[] = [kubeProxyPresent, configReadable, hasNodes, nodesReady, skippedNodes, clusterDomain, calico];

export function runChecks(facts: ClusterFacts, input: PlanInput, kind: 'migrate' | 'rollback' = 'migrate'): Check[] {
  return runRules(ruleContext(facts, input, kind), kind === 'migrate' ? MIGRATE_RULES : ROLLBACK_RULES);
}

export function runRules(ctx: RuleContext, rules: readonly Rule[]): Check[] {
  const out: Check[] = [];
  for (const rule of rules) {
    const r = rule(ctx);
    if (r === undefined) continue;
    if (Array.isArray(r)) out.push(...r);
    else out.push(r);
  }
  return out;
}

export function isBlocked(checks: readonly Check[]): boolean {
  return checks.some((c) => c.verdict === 'block');
}

export function blockers(checks: readonly Check[]): Check[] {
  return checks.filter((c) => c.verdict === 'block');
}
