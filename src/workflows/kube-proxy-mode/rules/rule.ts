// What a pre-flight rule sees. Rules are pure: (context) → verdicts; checks.ts runs them in a fixed order.
import { readKubeProxySettings, type KubeProxySettings } from '../../../k8s/kube-proxy-config.js';
import type { Check, PlanInput, ProxyMode } from '../api.js';
import { configText, type ClusterFacts } from '../facts.js';
import { imageTag, parseKubeVersion, type MajorMinor } from '../versions.js';

export interface RuleContext {
  facts: ClusterFacts;
  input: PlanInput;
  kind: 'migrate' | 'rollback';
  /** Parsed config.conf, or the reason it could not be read. */
  settings: KubeProxySettings | { error: string };
  /** '' in config.conf is iptables on Linux. */
  currentMode: ProxyMode | undefined;
  /** kube-proxy's version (DaemonSet image tag, else the nodes' report, else the API server's). */
  kubeProxyVersion: MajorMinor | undefined;
}

export type Rule = (ctx: RuleContext) => Check | Check[] | undefined;

export function ruleContext(facts: ClusterFacts, input: PlanInput, kind: 'migrate' | 'rollback'): RuleContext {
  const text = configText(facts);
  let settings: RuleContext['settings'];
  if (text === undefined) settings = { error: 'the kube-system/kube-proxy ConfigMap has no config.conf' };
  else {
    try { settings = readKubeProxySettings(text); } catch (e) { settings = { error: e instanceof Error ? e.message : String(e) }; }
  }
  const currentMode = 'error' in settings ? undefined : settings.mode === '' ? 'iptables' : settings.mode;
  return { facts, input, kind, settings, currentMode, kubeProxyVersion: kubeProxyVersion(facts) };
}

function kubeProxyVersion(facts: ClusterFacts): MajorMinor | undefined {
  const tag = facts.daemonSet ? imageTag(facts.daemonSet.image) : undefined;
  const fromTag = tag ? parseKubeVersion(tag) : undefined;
  if (fromTag) return fromTag;
  const reported = facts.nodes.map((n) => n.kubeProxyVersion).find((v) => v && parseKubeVersion(v));
  return parseKubeVersion(reported ?? facts.version.gitVersion);
}

/** Natural-order list of names for messages, shortened past `max`. */
export function nameList(names: readonly string[], max = 10): string {
  const sorted = [...names].sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  if (sorted.length <= max) return sorted.join(', ');
  return `${sorted.slice(0, max).join(', ')} and ${sorted.length - max} more`;
}
