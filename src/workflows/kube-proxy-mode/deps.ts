// What the kube-proxy-mode steps need from outside: the Cluster port, per-run node Job specs, the cluster's
// approval policy (for the digest) and timing. Built by workflows-service.ts for each run.
import type { Cluster, NodeJobSpec } from '../../k8s/cluster.js';
import type { ProxyMode } from './api.js';
import type { PlanPolicy } from './plan.js';
import type { SyncTargets } from '../../k8s/node-jobs.js';
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
  /** `metricsAddress`: where the running kube-proxy serves /metrics (the live pre-flight). */
  prep(node: string, opts: { scheduler: string; targetMode: ProxyMode; metricsAddress?: string }): NodeJobSpec;
  /** `sync`: first wait for kube-proxy's first sync after its restart (lib.sh wait_for_sync). */
  verify(node: string, opts: { targetMode: ProxyMode; targets: VerifyTargets; attempt: string; sync?: SyncTargets }): NodeJobSpec;
  /** Removes `fromMode`'s leftovers (targeted) or runs `kube-proxy --cleanup` with the cluster's image. */
  cleanup(node: string, opts: {
    fromMode: ProxyMode; targetMode: ProxyMode; method: 'targeted' | 'kube-proxy'; kubeProxyImage: string; attempt: string;
    /** Sysctls to put back when leaving IPVS (strictARP's arp_ignore / arp_announce as prep found them). */
    restoreSysctls?: Record<string, string>;
    /** Wait for kube-proxy's first sync before removing anything (targeted only). */
    sync?: SyncTargets;
  }): NodeJobSpec;
}

export interface Timing {
  /** New kube-proxy pod Ready, per node (domain §3: ~5 min then roll back). */
  podReadyTimeoutMs: number;
  /**
   * Per node: how long the first Job after its restart waits for the new kube-proxy's first sync, read from its own
   * /metrics (domain §8.3; replaces the fixed settle time of one sync period). Past it the node fails.
   */
  syncTimeoutMs: number;
  /** Between two reads of kube-proxy's /metrics while waiting for that sync. */
  syncPollMs: number;
  /** Per node Job (prep / verify / cleanup). */
  jobTimeoutMs: number;
  /** Prep and cleanup Jobs in flight at once. */
  jobConcurrency: number;
  /** How often a closed gate (maintenance window, blocking alert) is looked at again. */
  gateRecheckMs: number;
}

export const DEFAULT_TIMING: Timing = {
  podReadyTimeoutMs: 300_000, syncTimeoutMs: 60_000, syncPollMs: 250, jobTimeoutMs: 300_000, jobConcurrency: 20, gateRecheckMs: 60_000,
};

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
