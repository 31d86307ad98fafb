// Rules about kube-proxy itself: is there a kubeadm-style DaemonSet + ConfigMap, can config.conf be read, is the
// target different from today, is kube-proxy healthy now, and what upstream says about the target mode (domain §7).
import { configExtras } from '../advice.js';
import { configText } from '../facts.js';
import { below, format } from '../versions.js';
import type { Rule } from './rule.js';

export const kubeProxyPresent: Rule = ({ facts }) => {
  if (!facts.daemonSet) {
    return {
      id: 'kube-proxy-daemonset', verdict: 'block',
      message: 'No kube-system/kube-proxy DaemonSet: kube-proxy is embedded (k3s), a static pod (RKE2), or replaced by the CNI (Cilium/Calico eBPF). Nothing to switch.',
    };
  }
  if (!facts.configMap) {
    return { id: 'kube-proxy-daemonset', verdict: 'block', message: 'The kube-proxy DaemonSet exists but the kube-system/kube-proxy ConfigMap does not; the bot only edits kubeadm-style configuration.' };
  }
  return { id: 'kube-proxy-daemonset', verdict: 'pass', message: `kube-proxy DaemonSet found (image ${facts.daemonSet.image}).` };
};

export const configReadable: Rule = ({ facts, settings }) => {
  if (!facts.configMap) return undefined;
  if ('error' in settings) return { id: 'kube-proxy-config', verdict: 'block', message: `config.conf cannot be edited safely: ${settings.error}` };
  return undefined;
};

export const notAlreadyTarget: Rule = ({ input, currentMode, kind }) => {
  if (currentMode === undefined || kind === 'rollback') return undefined;
  if (currentMode === input.targetMode) {
    return { id: 'already-target', verdict: 'block', message: `kube-proxy is already configured for ${currentMode} mode; there is nothing to migrate.` };
  }
  return { id: 'already-target', verdict: 'pass', message: `kube-proxy is in ${currentMode} mode today; the plan moves it to ${input.targetMode}.` };
};

export const kubeProxyHealthy: Rule = ({ facts }) => {
  const s = facts.daemonSet?.status;
  if (!s) return undefined;
  const desired = s.desiredNumberScheduled ?? 0;
  const unavailable = s.numberUnavailable ?? Math.max(0, desired - (s.numberAvailable ?? desired));
  if (unavailable > 0) {
    return {
      id: 'kube-proxy-healthy', verdict: 'block',
      message: `${unavailable} of ${desired} kube-proxy pods are not available. Fix kube-proxy first: a node that is already broken cannot be verified or rolled back.`,
    };
  }
  return { id: 'kube-proxy-healthy', verdict: 'pass', message: `All ${desired} kube-proxy pods are available.` };
};

export const updateStrategy: Rule = ({ facts }) => {
  const t = facts.daemonSet?.updateStrategy.type;
  if (t === 'OnDelete') {
    return { id: 'update-strategy', verdict: 'warn', message: 'The kube-proxy DaemonSet already uses OnDelete; the bot keeps it that way and restarts pods itself.' };
  }
  return undefined;
};

export const ipvsDeprecation: Rule = ({ facts, input, kubeProxyVersion: v }) => {
  if (input.targetMode !== 'ipvs') return undefined;
  if (!v) return { id: 'ipvs-deprecated', verdict: 'warn', message: 'kube-proxy version unknown. IPVS mode is deprecated upstream from 1.35; nftables is the recommended target.' };
  if (!below(v, 1, 43)) {
    return {
      id: 'ipvs-deprecated', verdict: 'block',
      message: `kube-proxy ${format(v)}: the IPVS proxier is planned to be removed in 1.43 (feature gate KubeProxyIPVS locked off). Use nftables, or iptables on kernels older than 5.13.`,
    };
  }
  if (!below(v, 1, 40)) {
    // KEP-5495 plan: KubeProxyIPVS defaults to false from 1.40; kube-proxy in ipvs mode then exits unless re-enabled.
    if (configExtras(configText(facts)).ipvsFeatureGate === true) {
      return {
        id: 'ipvs-deprecated', verdict: 'warn',
        message: `kube-proxy ${format(v)}: IPVS mode is off by default from 1.40; config.conf re-enables it (featureGates KubeProxyIPVS: true) until its planned removal in 1.43. Upstream recommends nftables.`,
      };
    }
    return {
      id: 'ipvs-deprecated', verdict: 'block',
      message: `kube-proxy ${format(v)}: IPVS mode is off by default from 1.40 (feature gate KubeProxyIPVS), so kube-proxy would exit; the bot does not enable the gate. Add featureGates: {KubeProxyIPVS: true} to config.conf first, or use nftables instead.`,
    };
  }
  if (!below(v, 1, 35)) {
    return {
      id: 'ipvs-deprecated', verdict: 'warn',
      message: `kube-proxy ${format(v)}: IPVS mode is deprecated upstream (KEP-5495); every node will log an IPVSDeprecation warning. Upstream recommends nftables.`,
    };
  }
  return {
    id: 'ipvs-deprecated', verdict: 'warn',
    message: `kube-proxy ${format(v)}: IPVS mode becomes deprecated in 1.35 and is planned to be off by default in 1.40. Consider nftables.`,
  };
};

export const nftablesSupported: Rule = ({ input, kubeProxyVersion: v }) => {
  if (input.targetMode !== 'nftables' || !v) return undefined;
  if (below(v, 1, 31)) {
    return { id: 'nftables-version', verdict: 'block', message: `kube-proxy ${format(v)}: nftables mode needs 1.31 or later (beta, on by default; GA in 1.33).` };
  }
  return undefined;
};

export const cleanupMethod: Rule = ({ input }) => {
  if (input.cleanup === 'kube-proxy') {
    return {
      id: 'cleanup-method', verdict: 'warn',
      message: 'Cleanup with kube-proxy --cleanup runs as an init container of each new kube-proxy pod (after the old one is gone, before the new one syncs) and flushes every IPVS virtual server on the node, keepalived/LVS ones included. When the run ends, removing that init container makes the DaemonSet restart each kube-proxy once more (same mode).',
    };
  }
  if (input.cleanup === 'none') {
    return { id: 'cleanup-method', verdict: 'warn', message: 'No cleanup: the old mode\'s rules stay on every node until it is rebooted (recommended afterwards).' };
  }
  return undefined;
};

export const autoRollback: Rule = ({ input, kind }) => {
  if (kind === 'rollback' || input.autoRollback) return undefined;
  return { id: 'auto-rollback', verdict: 'warn', message: 'Automatic rollback is off: a failing node stops the run and leaves already switched nodes in the new mode.' };
};
