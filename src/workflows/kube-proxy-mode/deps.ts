// What the kube-proxy-mode steps need from outside: the Cluster port, per-run node Job specs, the cluster's
// approval policy (for the digest) and timing. Built by workflows-service.ts for each run.
import type { Cluster, NodeJobSpec } from '../../k8s/cluster.js';
import type { ProxyMode } from './api.js';
import type { PlanPolicy } from './plan.js';
import type { GateDeps } from './gates/gate-deps.js';

export interface VerifyTargets {
  /** Service ports with a ClusterIP (IPVS needs at least that many virtual servers). */
  servicePorts: number;
  /** "10.96.0.1:443": the kubernetes Service. */
  tcpTarget?: string;
  dnsServer?: string;
  dnsName: string;
  /** A ClusterIP to ping (mode fingerprint, domain §5). */
  pingTarget?: string;
  /** A for an IPv4-primary cluster, AAAA for IPv6-primary. */
  dnsType?: 'A' | 'AAAA';
  /** The address dnsName must resolve to (the kubernetes Service's ClusterIP). */
  dnsExpect?: string;
  /** Where kube-proxy serves /proxyMode on the node (its metricsBindAddress). */
  metricsAddress?: string;
}

/** Deterministic Job specs per run, node and phase (H3's node-jobs.ts behind a small seam). */
export interface NodeJobFactory {
  namespace: string;
  prep(node: string, opts: { scheduler: string; targetMode: ProxyMode }): NodeJobSpec;
  verify(node: string, opts: { targetMode: ProxyMode; targets: VerifyTargets; attempt: string }): NodeJobSpec;
  /** Removes `fromMode`'s leftovers (targeted) or runs `kube-proxy --cleanup` with the cluster's image. */
  cleanup(node: string, opts: {
    fromMode: ProxyMode; targetMode: ProxyMode; method: 'targeted' | 'kube-proxy'; kubeProxyImage: string; attempt: string;
    /** Sysctls to put back when leaving IPVS (strictARP's arp_ignore / arp_announce as prep found them). */
    restoreSysctls?: Record<string, string>;
  }): NodeJobSpec;
}

export interface Timing {
  /** New kube-proxy pod Ready, per node (domain §3: ~5 min then roll back). */
  podReadyTimeoutMs: number;
  /** Settle time after Ready before verifying: one full sync (domain §8.3: max(2 × sync, 10 s)). */
  syncWaitMs: number;
  /** Per node Job (prep / verify / cleanup). */
  jobTimeoutMs: number;
  /** Prep and cleanup Jobs in flight at once. */
  jobConcurrency: number;
  /** How often a closed gate (maintenance window, blocking alert) is looked at again. */
  gateRecheckMs: number;
}

export const DEFAULT_TIMING: Timing = { podReadyTimeoutMs: 300_000, syncWaitMs: 10_000, jobTimeoutMs: 300_000, jobConcurrency: 20, gateRecheckMs: 60_000 };

export interface KpmDeps {
  cluster: Cluster;
  jobs: NodeJobFactory;
  policy: PlanPolicy;
  timing: Timing;
  /** The cluster's report-only checks (config `reportOnly`; check-outcome.ts isReportOnly). */
  reportOnly?: readonly string[];
  /** The cluster's Prometheus / window / Alertmanager gates, when configured (gates/gate-deps.ts). */
  gates?: GateDeps;
}
