// The Cluster port: everything the workflow needs from Kubernetes, as idempotent verbs.
// K8sCluster (src/k8s/k8s-cluster.ts) is the only implementation that talks to an API server.
import type { ConfigMapMark, DaemonSetMark, WriteBy } from './write-mark.js';
// Objects are returned as plain JSON-shaped Kubernetes objects (the fields we read are typed below).

export interface ObjectMeta {
  name: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  creationTimestamp?: string;
  deletionTimestamp?: string;
}

export interface NodeInfo {
  name: string;
  uid: string;
  ready: boolean;
  kernelVersion: string;
  osImage: string;
  containerRuntimeVersion: string;
  kubeletVersion: string;
  kubeProxyVersion: string;
  labels: Record<string, string>;
  taints: { key: string; value?: string; effect: string }[];
  providerID?: string;
  /** status.nodeInfo.operatingSystem ("linux", "windows"), when reported. */
  operatingSystem?: string;
}

export interface ConfigMapInfo {
  name: string; namespace: string; uid: string; resourceVersion: string; data: Record<string, string>;
  /** ipvs-bot's mark of its last write (write-mark.ts), if any. */
  writeMark?: ConfigMapMark;
}

export interface DaemonSetInfo {
  name: string;
  namespace: string;
  uid: string;
  resourceVersion: string;
  generation: number;
  /** ipvs-bot's mark of its last spec write (write-mark.ts), if any. */
  writeMark?: DaemonSetMark;
  image: string;
  updateStrategy: { type: 'RollingUpdate' | 'OnDelete'; rollingUpdate?: Record<string, unknown> };
  selector: Record<string, string>;
  status: Record<string, number | undefined>;
  /** Where the DaemonSet controller places its pods (pod template): which nodes kube-proxy runs on. */
  placement?: DaemonSetPlacement;
}

export interface Toleration { key?: string; operator?: string; value?: string; effect?: string }
export interface NodeSelectorRequirement { key: string; operator: string; values?: string[] }
export interface NodeSelectorTerm { matchExpressions?: NodeSelectorRequirement[]; matchFields?: NodeSelectorRequirement[] }
export interface DaemonSetPlacement {
  nodeSelector?: Record<string, string>;
  /** affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms */
  requiredNodeAffinity?: NodeSelectorTerm[];
  tolerations?: Toleration[];
}

export interface PodInfo {
  name: string;
  namespace: string;
  uid: string;
  nodeName?: string;
  phase: string;
  ready: boolean;
  restartCount: number;
  /** waiting reason (e.g. CrashLoopBackOff) or terminated reason of the first container */
  reason?: string;
  labels: Record<string, string>;
  deleting: boolean;
  createdAt?: string;
}

export interface JobResult {
  name: string;
  /** 'succeeded' | 'failed' | 'running' (deadline or backoff gives 'failed' with a reason) */
  outcome: 'succeeded' | 'failed' | 'running';
  reason?: string;
  /** The JSON object the container wrote as its termination message / last log line, if any. */
  result?: Record<string, unknown>;
}

export interface PodWaitTarget { node: string; notUid?: string }
/** A node's pod wait: the pod it settled on (Ready, or failed: check `ready`), or why there is none (Timeout). */
export type PodWaitOutcome = { node: string; pod: PodInfo; error?: undefined } | { node: string; pod?: undefined; error: Error };

export interface NodeJobSpec {
  /** Deterministic per run, node and phase, so that a re-run after a crash finds the same Job. */
  name: string;
  namespace: string;
  manifest: Record<string, unknown>;
  /**
   * A ConfigMap the Job's pod mounts (the node scripts), created in the Job's namespace before the Job. Its name
   * must be derived from its content (it is created immutable and never updated), so one ConfigMap serves every
   * Job that runs the same scripts.
   */
  configMap?: { name: string; data: Record<string, string> };
}

export interface ServiceInfo {
  name: string;
  namespace: string;
  /** spec.clusterIP: the primary family's address (absent for headless Services). */
  clusterIP?: string;
  /** spec.clusterIPs: every family's address, primary first (dual-stack). */
  clusterIPs?: string[];
  type?: string;
  externalTrafficPolicy?: string;
  externalIPs?: string[];
  /** status.loadBalancer.ingress[].ip */
  loadBalancerIPs?: string[];
  ports: { port: number; protocol: string; nodePort?: number; name?: string }[];
}

export interface Cluster {
  /** Server version, e.g. "v1.28.7". */
  version(): Promise<{ gitVersion: string; major: string; minor: string }>;
  clusterUid(): Promise<string>;
  listNodes(): Promise<NodeInfo[]>;
  listServices(): Promise<ServiceInfo[]>;
  /** Which DaemonSets/Deployments exist, to detect CNI, MetalLB, kube-vip, managed platforms. */
  listWorkloadNames(): Promise<{ namespace: string; kind: string; name: string; image: string }[]>;

  getConfigMap(namespace: string, name: string): Promise<ConfigMapInfo>;
  /** Replace one data key, failing with a Conflict error unless resourceVersion still matches. */
  patchConfigMapData(namespace: string, name: string, key: string, value: string, resourceVersion: string, by?: WriteBy): Promise<ConfigMapInfo>;

  getDaemonSet(namespace: string, name: string): Promise<DaemonSetInfo>;
  /** Every write carries the write mark (write-mark.ts); `by` names the run and step. */
  setDaemonSetUpdateStrategy(namespace: string, name: string, strategy: DaemonSetInfo['updateStrategy'], by?: WriteBy): Promise<DaemonSetInfo>;
  /**
   * Adds (`on`) or removes ipvs-bot's `kube-proxy --cleanup` init container in the DaemonSet's pod template
   * (kube-proxy-cleanup-init.ts); true when it wrote. With OnDelete no pod restarts because of it.
   */
  setKubeProxyCleanupInit(namespace: string, name: string, on: boolean, by?: WriteBy): Promise<boolean>;

  listPods(namespace: string, labelSelector: string, opts?: { fieldSelector?: string }): Promise<PodInfo[]>;
  deletePod(namespace: string, name: string, uid?: string): Promise<void>;
  /** Waits (with a watch, not polling) until a pod matching the selector on the node, other than `notUid`, is Ready or fails. */
  waitForPodOnNode(namespace: string, labelSelector: string, node: string, opts: { notUid?: string; timeoutMs: number }): Promise<PodInfo>;
  /**
   * waitForPodOnNode for many nodes with one list + one watch (a batch of restarts costs two requests, not two per
   * node). Each node settles on its own: a Ready or failed (crash-looping, …) pod other than its `notUid`, or a
   * Timeout naming the node. `onSettled` hears each node as it settles (must not throw); the promise resolves with
   * every node's outcome, in `targets` order, once all settled.
   */
  waitForPodsOnNodes(namespace: string, labelSelector: string, targets: readonly PodWaitTarget[],
    opts: { timeoutMs: number; onSettled?: (outcome: PodWaitOutcome) => void }): Promise<PodWaitOutcome[]>;
  podLogs(namespace: string, name: string, opts?: { tailLines?: number; previous?: boolean }): Promise<string>;

  /** Create the Job unless one with that name exists (ensure semantics). */
  ensureJob(spec: NodeJobSpec): Promise<void>;
  /** Waits (watch) until every named Job finished; returns each one's result. */
  /**
   * `labelSelector` narrows the watch and the result lookup to these Jobs' labels (e.g. run and phase): finished
   * Jobs stay for their TTL (an hour), so on a big cluster the unnarrowed list holds thousands of them.
   */
  /**
   * `onResult` hears each Job as soon as it finished and its result was read (results are then read in small groups
   * while the others still run, instead of all at the end), so callers can act per node without waiting for the batch.
   * `onFinished` hears each Job the moment the watch shows it finished, before its result is read (no `result` yet).
   */
  waitForJobs(namespace: string, names: string[], opts: {
    timeoutMs: number; labelSelector?: string; onResult?: (r: JobResult) => void; onFinished?: (r: JobResult) => void;
  }): Promise<JobResult[]>;
  deleteJob(namespace: string, name: string): Promise<void>;
}

// --- Additions by the K8sCluster adapter (additive; the workflow's Cluster port above is unchanged) ---------------

/** SelfSubjectAccessReview for `ipvs-bot doctor`: may the bot's identity do `verb` on `resource` ("jobs" or "jobs.batch")? */
export interface AccessReviewer {
  can(verb: string, resource: string, namespace?: string, name?: string, subresource?: string): Promise<boolean>;
}

export type RequestVerb = 'get' | 'list' | 'create' | 'patch' | 'delete' | 'watch' | 'log' | 'review';

/** API requests made by an adapter (each retry counts as a request), for the benchmark's requests-per-node figure. */
export interface RequestStats {
  requests: Record<RequestVerb, number>;
  retries: number;
  watchReconnects: number;
  relists: number;
}
