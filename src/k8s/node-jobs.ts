// Job manifests for the per-node phases (domain §9.3, DESIGN.md "node Jobs"). The script is fixed text from
// node-scripts/, mounted from one content-named ConfigMap; everything variable reaches it as validated IPVS_BOT_*
// env values, and the node name appears only as the pin (nodeName), a label/annotation and the downward-API env.
import { createHash } from 'node:crypto';
import type { NodeJobSpec } from './cluster.js';
import { NODE_SCRIPTS } from './node-scripts/scripts.js';

export type NodePhase = 'prep' | 'verify' | 'cleanup';
export type TargetMode = 'iptables' | 'ipvs' | 'nftables';
const TARGET_MODES = ['iptables', 'ipvs', 'nftables'] as const;

/**
 * Default image: nicolaka/netshoot, the de-facto network troubleshooting image. It carries every tool the scripts
 * call in the container (bash, ipvsadm, ipset, iptables legacy+nft, iproute2, curl, dig, ping, nsenter), while
 * modprobe and sysctl run with the host's own binaries through nsenter. It is not tiny (~200 MB); clusters should
 * mirror it or pin a digest with `jobImage`.
 */
export const DEFAULT_JOB_IMAGE = 'docker.io/nicolaka/netshoot:v0.13';
export const DEFAULT_JOB_NAMESPACE = 'ipvs-bot-jobs';
export const MANAGED_BY = 'ipvs-bot';
export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  run: 'ipvs-bot/run',
  node: 'ipvs-bot/node',
  phase: 'ipvs-bot/phase',
  targetMode: 'ipvs-bot/target-mode',
  attempt: 'ipvs-bot/attempt',
} as const;

export const IPVS_SCHEDULERS = ['rr', 'wrr', 'lc', 'wlc', 'lblc', 'lblcr', 'sh', 'dh', 'sed', 'nq', 'mh', 'fo', 'ovf', 'twos'] as const;

export class NodeJobError extends Error {
  constructor(message: string) { super(message); this.name = 'NodeJobError'; }
}

export interface NodeJobOptions {
  runId: string;
  namespace?: string;
  image?: string;
  activeDeadlineSeconds?: number;
  /** Kept ≥ 3600 so results can be read (and audited) long after the Job finished. */
  ttlSecondsAfterFinished?: number;
  /** Extra annotations (e.g. requester / approvers), values are not interpreted. */
  annotations?: Record<string, string>;
  /** What the scripts need to know about the cluster, on every phase's Job (the issue #10 node-Job contract). */
  nodeContext?: NodeContext;
}

export interface NodeContext {
  /** kube-proxy's minor version (from the DaemonSet image tag): IPVS_BOT_KUBE_PROXY_MINOR. */
  kubeProxyMinor?: number;
  /**
   * Kubernetes' virtual servers that are not on kube-ipvs0: `TCP:30080` (a NodePort, owned on any local address) and
   * `TCP/203.0.113.10:80`, `TCP/[2001:db8::10]:443` (an externalIP / LB ingress IP with the Service port).
   */
  serviceVs?: readonly string[];
}

export interface VerifyTargets {
  /** Service ports with a ClusterIP: IPVS mode holds at least one virtual server for each. */
  servicePorts: number;
  tcpTarget?: string;
  dnsServer?: string;
  dnsName: string;
  pingTarget?: string;
  /** kube-proxy metricsBindAddress, default 127.0.0.1:10249 */
  metricsAddress?: string;
  /** The record type of the primary ClusterIP family (default A). */
  dnsType?: 'A' | 'AAAA';
  /** The address dnsName must resolve to (the kubernetes Service ClusterIP). */
  dnsExpect?: string;
}

/**
 * How the first Job on a node after its kube-proxy restarted (cleanup, else verify) waits for kube-proxy's first sync
 * (lib.sh wait_for_sync): the addresses from the cluster's config.conf, as reached from the node.
 */
export interface SyncTargets {
  /** kube-proxy's metricsBindAddress as reached from the node (verify-targets.ts metricsAddressOf). */
  metricsAddress: string;
  /** kube-proxy's healthzBindAddress as reached from the node (default 127.0.0.1:10256). */
  healthzAddress: string;
  /** The node's deadline: the script gives up (and fails the node) after this long. */
  timeoutMs: number;
  /** Between two reads of /metrics and /healthz (default 250). */
  pollMs?: number;
  /** The new kube-proxy pod's start (ms, the node's clock: the kubelet's container startedAt); an older process does not count. */
  notBeforeMs?: number;
}

export interface JobInput {
  phase: NodePhase;
  node: string;
  targetMode: TargetMode;
  /** Distinguishes repeated verify/cleanup Jobs of one run on one node (e.g. "1", "rollback"). */
  attempt?: string;
  /** cleanup: the mode kube-proxy ran in before (whose leftovers go). */
  fromMode?: TargetMode;
  scheduler?: string;
  verify?: VerifyTargets;
  /** verify / cleanup: wait for kube-proxy's first sync before anything else. */
  sync?: SyncTargets;
  /** prep: where the running kube-proxy serves /metrics on the node (the live pre-flight). */
  metricsAddress?: string;
  dryRun?: boolean;
  /** cleanup: ARP sysctls to put back (prep's sysctlsBefore) when leaving IPVS after strictARP was turned on. */
  restoreSysctls?: Record<string, string>;
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const HOST_PORT = /^(\[[0-9A-Fa-f:.]+\]|[0-9A-Za-z.-]+):\d{1,5}$/;
const HOST = /^[0-9A-Za-z.:-]{1,253}$/;
const ATTEMPT = /^[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?$/;
const NODE_NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;
const IMAGE = /^[A-Za-z0-9][A-Za-z0-9._\-/:@]{0,254}$/;
const IP = /^[0-9A-Fa-f.:]{2,45}$/;
/** `PROTO:nodePort` or `PROTO/ipv4:port` / `PROTO/[ipv6]:port`, exactly what lib.sh parse_service_vs accepts. */
const SERVICE_VS = /^(TCP|UDP|SCTP)(:\d{1,5}|\/(\d{1,3}(\.\d{1,3}){3}|\[[0-9A-Fa-f:.]{2,45}\]):\d{1,5})$/;
/** The env value must stay well under Linux's 128 KiB limit for one environment string (MAX_ARG_STRLEN). */
export const MAX_SERVICE_VS_BYTES = 100 * 1024;
/** The only sysctls cleanup may set: the two strictARP changes (pkg/proxy/ipvs/proxier.go sysctlArpIgnore/Announce). */
export const RESTORABLE_SYSCTLS = ['net.ipv4.conf.all.arp_ignore', 'net.ipv4.conf.all.arp_announce'] as const;

const short = (s: string, n: number) => createHash('sha256').update(s).digest('hex').slice(0, n);

/** Where a node Job's pod finds the scripts: `<dir>/<phase>.sh` (each already holds lib.sh, see generate.ts). */
export const NODE_SCRIPTS_DIR = '/ipvs-bot';
const SCRIPTS_VOLUME = 'ipvs-bot-scripts';

/**
 * The node scripts as one immutable ConfigMap, named by a hash of its content, in the Jobs' namespace (K8sCluster
 * creates it before the first Job). Inlined, each Job, its pod and every watch event and list of them carried the
 * ~16 KB script: at 1,250 nodes per batch that was most of the bot's memory churn. A bot with other scripts uses
 * another name, so Jobs of a run that outlived an upgrade keep the scripts they were made with.
 */
export const NODE_SCRIPTS_CONFIG_MAP: NonNullable<NodeJobSpec['configMap']> = (() => {
  const data: Record<string, string> = {};
  for (const phase of Object.keys(NODE_SCRIPTS).sort() as (keyof typeof NODE_SCRIPTS)[]) data[`${phase}.sh`] = NODE_SCRIPTS[phase];
  const h = createHash('sha256');
  for (const [k, v] of Object.entries(data)) h.update(k).update('\0').update(v).update('\0');
  return Object.freeze({ name: `ipvs-bot-scripts-${h.digest('hex').slice(0, 8)}`, data: Object.freeze(data) });
})();

/** Deterministic per run, phase, node (and attempt): a re-run after a crash finds the same Job. ≤ 63 chars. */
export function nodeJobName(phase: NodePhase, runId: string, node: string, attempt?: string): string {
  return `ipvs-${phase}-${short(runId, 8)}-${short(node, 10)}${attempt ? `-${attempt}` : ''}`;
}

export function nodeJobLabels(runId: string, node: string, phase: NodePhase, targetMode: TargetMode): Record<string, string> {
  return {
    [LABELS.managedBy]: MANAGED_BY,
    [LABELS.run]: runId,
    // Node names may be up to 253 chars, label values 63: longer names are labelled by hash (full name in annotation).
    [LABELS.node]: node.length <= 63 && LABEL_VALUE.test(node) ? node : `h-${short(node, 20)}`,
    [LABELS.phase]: phase,
    [LABELS.targetMode]: targetMode,
  };
}

export function nodeJobSpec(opts: NodeJobOptions, input: JobInput): NodeJobSpec {
  const { runId } = opts;
  const namespace = opts.namespace ?? DEFAULT_JOB_NAMESPACE;
  const image = opts.image ?? DEFAULT_JOB_IMAGE;
  if (!runId || runId.length > 63 || !LABEL_VALUE.test(runId)) throw new NodeJobError('run id is not a valid label value');
  if (!NODE_NAME.test(input.node)) throw new NodeJobError('node name is not a valid Kubernetes node name');
  if (!IMAGE.test(image)) throw new NodeJobError('job image is not a valid image reference');
  if (input.attempt !== undefined && !ATTEMPT.test(input.attempt)) throw new NodeJobError('attempt must be 1-12 lowercase letters, digits or dashes');

  const env: { name: string; value?: string; valueFrom?: unknown }[] = [
    { name: 'IPVS_BOT_PHASE', value: input.phase },
    { name: 'IPVS_BOT_TARGET_MODE', value: input.targetMode },
    { name: 'IPVS_BOT_NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
  ];
  env.push(...contextEnv(opts.nodeContext));
  if (input.phase === 'prep') {
    const scheduler = input.scheduler ?? 'rr';
    if (!(IPVS_SCHEDULERS as readonly string[]).includes(scheduler)) throw new NodeJobError(`unsupported IPVS scheduler ${JSON.stringify(scheduler)}`);
    env.push({ name: 'IPVS_BOT_SCHEDULER', value: scheduler });
    // The live pre-flight reads the running kube-proxy's /metrics there (prep.sh, lib.sh live_metrics).
    if (input.metricsAddress !== undefined) {
      if (!HOST_PORT.test(input.metricsAddress)) throw new NodeJobError('metricsAddress has an invalid value');
      env.push({ name: 'IPVS_BOT_METRICS_ADDR', value: input.metricsAddress });
    }
  }
  if (input.phase === 'verify') env.push(...verifyEnv(input.verify));
  if (input.sync && (input.phase === 'verify' || input.phase === 'cleanup')) env.push(...syncEnv(input.sync, !env.some((e) => e.name === 'IPVS_BOT_METRICS_ADDR')));
  if (input.phase === 'cleanup' && input.fromMode !== undefined) {
    if (!(TARGET_MODES as readonly string[]).includes(input.fromMode)) throw new NodeJobError('unknown previous mode');
    env.push({ name: 'IPVS_BOT_FROM_MODE', value: input.fromMode });
  }
  if (input.phase === 'cleanup' && input.dryRun) env.push({ name: 'IPVS_BOT_DRY_RUN', value: '1' });
  if (input.restoreSysctls !== undefined) {
    if (input.phase !== 'cleanup') throw new NodeJobError('restoreSysctls is only for cleanup Jobs');
    const value = restoreSysctlsValue(input.restoreSysctls);
    if (value) env.push({ name: 'IPVS_BOT_RESTORE_SYSCTLS', value });
  }
  // The targeted cleanup runs iptables-restore -w: it must share the host's xtables lock with kube-proxy and the CNI.
  const lock = input.phase === 'cleanup';

  const labels = nodeJobLabels(runId, input.node, input.phase, input.targetMode);
  if (input.attempt) labels[LABELS.attempt] = input.attempt;
  return {
    name: nodeJobName(input.phase, runId, input.node, input.attempt),
    namespace,
    configMap: NODE_SCRIPTS_CONFIG_MAP,
    manifest: jobManifest({
      name: nodeJobName(input.phase, runId, input.node, input.attempt), namespace, labels, node: input.node, runId,
      // The script's own sync deadline ends the wait first: the Job's deadline is a backstop, extended by it.
      opts: input.sync
        ? { ...opts, activeDeadlineSeconds: (opts.activeDeadlineSeconds ?? 300) + Math.ceil(input.sync.timeoutMs / 1000) }
        : opts,
      backoffLimit: 1,
      // 0444: bash reads the file, nothing executes or changes it.
      volumes: [
        { name: SCRIPTS_VOLUME, configMap: { name: NODE_SCRIPTS_CONFIG_MAP.name, defaultMode: 0o444 } },
        ...(lock ? [XTABLES_LOCK_VOLUME] : []),
      ],
      container: {
        name: input.phase,
        image,
        imagePullPolicy: 'IfNotPresent',
        command: ['/bin/bash', `${NODE_SCRIPTS_DIR}/${input.phase}.sh`],
        env,
        securityContext: { privileged: true },
        terminationMessagePolicy: 'FallbackToLogsOnError',
        volumeMounts: [
          { name: SCRIPTS_VOLUME, mountPath: NODE_SCRIPTS_DIR, readOnly: true },
          ...(lock ? [XTABLES_LOCK_MOUNT] : []),
        ],
        resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } },
      },
    }),
  };
}

/**
 * `kube-proxy --cleanup` with the cluster's own kube-proxy image (domain §6.6): it flushes ALL IPVS services, so the
 * plan warns about it. The image is distroless, so the Job writes no JSON line: judge it by its outcome.
 */
export function kubeProxyCleanupJobSpec(opts: NodeJobOptions, input: { node: string; targetMode: TargetMode; kubeProxyImage: string; attempt?: string }): NodeJobSpec {
  const { runId } = opts;
  const namespace = opts.namespace ?? DEFAULT_JOB_NAMESPACE;
  if (!runId || runId.length > 63 || !LABEL_VALUE.test(runId)) throw new NodeJobError('run id is not a valid label value');
  if (!NODE_NAME.test(input.node)) throw new NodeJobError('node name is not a valid Kubernetes node name');
  if (!IMAGE.test(input.kubeProxyImage)) throw new NodeJobError('kube-proxy image is not a valid image reference');
  const attempt = input.attempt ? `kp${input.attempt}` : 'kp';
  if (!ATTEMPT.test(attempt)) throw new NodeJobError('attempt must be 1-10 lowercase letters, digits or dashes');
  const labels = { ...nodeJobLabels(runId, input.node, 'cleanup', input.targetMode), [LABELS.attempt]: attempt };
  const name = nodeJobName('cleanup', runId, input.node, attempt);
  return {
    name,
    namespace,
    manifest: jobManifest({
      name, namespace, labels, node: input.node, runId, opts,
      backoffLimit: 0, // exits 0 or not; a retry would flush the new mode's rules a second time
      volumes: [
        { name: 'lib-modules', hostPath: { path: '/lib/modules', type: 'Directory' } },
        XTABLES_LOCK_VOLUME,
      ],
      container: {
        name: 'cleanup',
        image: input.kubeProxyImage,
        imagePullPolicy: 'IfNotPresent',
        command: ['/usr/local/bin/kube-proxy', '--cleanup', '--v=2'],
        securityContext: { privileged: true },
        terminationMessagePolicy: 'FallbackToLogsOnError',
        volumeMounts: [
          { name: 'lib-modules', mountPath: '/lib/modules', readOnly: true },
          XTABLES_LOCK_MOUNT,
        ],
        resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '256Mi' } },
      },
    }),
  };
}

/** The host's xtables lock, as kube-proxy's own DaemonSet mounts it (kubeadm's kube-proxy manifest). */
const XTABLES_LOCK_VOLUME = { name: 'xtables-lock', hostPath: { path: '/run/xtables.lock', type: 'FileOrCreate' } };
const XTABLES_LOCK_MOUNT = { name: 'xtables-lock', mountPath: '/run/xtables.lock' };

/** A factory bound to one run, shaped like the workflow's NodeJobFactory seam. */
export function createNodeJobFactory(opts: NodeJobOptions) {
  const namespace = opts.namespace ?? DEFAULT_JOB_NAMESPACE;
  return {
    namespace,
    prep: (node: string, o: { scheduler: string; targetMode: TargetMode; metricsAddress?: string }): NodeJobSpec =>
      nodeJobSpec(opts, { phase: 'prep', node, targetMode: o.targetMode, scheduler: o.scheduler, ...(o.metricsAddress !== undefined ? { metricsAddress: o.metricsAddress } : {}) }),
    verify: (node: string, o: { targetMode: TargetMode; targets: VerifyTargets; attempt: string; sync?: SyncTargets }): NodeJobSpec =>
      nodeJobSpec(opts, { phase: 'verify', node, targetMode: o.targetMode, verify: o.targets, attempt: o.attempt, ...(o.sync ? { sync: o.sync } : {}) }),
    cleanup: (node: string, o: {
      fromMode: TargetMode; targetMode: TargetMode; method: 'targeted' | 'kube-proxy'; kubeProxyImage: string; attempt: string;
      restoreSysctls?: Record<string, string>; sync?: SyncTargets;
    }): NodeJobSpec =>
      o.method === 'kube-proxy'
        ? kubeProxyCleanupJobSpec(opts, { node, targetMode: o.targetMode, kubeProxyImage: o.kubeProxyImage, attempt: o.attempt })
        : nodeJobSpec(opts, {
          phase: 'cleanup', node, targetMode: o.targetMode, fromMode: o.fromMode, attempt: o.attempt,
          ...(o.restoreSysctls ? { restoreSysctls: o.restoreSysctls } : {}), ...(o.sync ? { sync: o.sync } : {}),
        }),
  };
}

function verifyEnv(t: VerifyTargets | undefined): { name: string; value: string }[] {
  if (!t) throw new NodeJobError('verify Jobs need their targets');
  if (!Number.isInteger(t.servicePorts) || t.servicePorts < 0) throw new NodeJobError('servicePorts must be a whole number');
  const env = [{ name: 'IPVS_BOT_EXPECTED_SERVICES', value: String(t.servicePorts) }];
  const check = (name: string, value: string | undefined, re: RegExp) => {
    if (value === undefined || value === '') return;
    if (!re.test(value)) throw new NodeJobError(`${name} has an invalid value`);
    env.push({ name, value });
  };
  check('IPVS_BOT_TCP_TARGET', t.tcpTarget, HOST_PORT);
  check('IPVS_BOT_DNS_NAME', t.dnsName, HOST);
  check('IPVS_BOT_DNS_SERVER', t.dnsServer, HOST);
  check('IPVS_BOT_PING_TARGET', t.pingTarget, HOST);
  check('IPVS_BOT_METRICS_ADDR', t.metricsAddress, HOST_PORT);
  if (t.dnsType !== undefined) {
    if (t.dnsType !== 'A' && t.dnsType !== 'AAAA') throw new NodeJobError('dnsType must be A or AAAA');
    env.push({ name: 'IPVS_BOT_DNS_TYPE', value: t.dnsType });
  }
  check('IPVS_BOT_DNS_EXPECT', t.dnsExpect, IP);
  return env;
}

function syncEnv(t: SyncTargets, withMetrics: boolean): { name: string; value: string }[] {
  if (!HOST_PORT.test(t.metricsAddress)) throw new NodeJobError('metricsAddress has an invalid value');
  if (!HOST_PORT.test(t.healthzAddress)) throw new NodeJobError('healthzAddress has an invalid value');
  if (!Number.isInteger(t.timeoutMs) || t.timeoutMs < 100 || t.timeoutMs > 3_600_000) throw new NodeJobError('the sync timeout must be 100 ms to 1 h');
  const poll = t.pollMs ?? 250;
  if (!Number.isInteger(poll) || poll < 10 || poll > 10_000) throw new NodeJobError('the sync poll interval must be 10 ms to 10 s');
  if (t.notBeforeMs !== undefined && (!Number.isInteger(t.notBeforeMs) || t.notBeforeMs < 0)) throw new NodeJobError('notBeforeMs must be a time in ms');
  return [
    // verify's targets carry the metrics address already; cleanup has none of its own.
    ...(withMetrics ? [{ name: 'IPVS_BOT_METRICS_ADDR', value: t.metricsAddress }] : []),
    { name: 'IPVS_BOT_HEALTHZ_ADDR', value: t.healthzAddress },
    { name: 'IPVS_BOT_SYNC_TIMEOUT_MS', value: String(t.timeoutMs) },
    { name: 'IPVS_BOT_SYNC_POLL_MS', value: String(poll) },
    ...(t.notBeforeMs !== undefined ? [{ name: 'IPVS_BOT_NOT_BEFORE_MS', value: String(t.notBeforeMs) }] : []),
  ];
}

function contextEnv(c: NodeContext | undefined): { name: string; value: string }[] {
  const env: { name: string; value: string }[] = [];
  if (!c) return env;
  if (c.kubeProxyMinor !== undefined) {
    if (!Number.isInteger(c.kubeProxyMinor) || c.kubeProxyMinor < 0 || c.kubeProxyMinor > 999) throw new NodeJobError('kubeProxyMinor must be a whole number from 0 to 999');
    env.push({ name: 'IPVS_BOT_KUBE_PROXY_MINOR', value: String(c.kubeProxyMinor) });
  }
  if (c.serviceVs !== undefined) {
    const bad = c.serviceVs.find((t) => typeof t !== 'string' || !SERVICE_VS.test(t));
    if (bad !== undefined) throw new NodeJobError(`serviceVs entry ${JSON.stringify(String(bad).slice(0, 60))} is not PROTO:port or PROTO/addr:port`);
    const value = c.serviceVs.join(' ');
    if (Buffer.byteLength(value) > MAX_SERVICE_VS_BYTES) {
      throw new NodeJobError(`the cluster's NodePort/LB virtual servers (${c.serviceVs.length}, ${Buffer.byteLength(value)} bytes) exceed the ${MAX_SERVICE_VS_BYTES / 1024} KB a node Job can carry`);
    }
    env.push({ name: 'IPVS_BOT_SERVICE_VS', value });
  }
  return env;
}

function restoreSysctlsValue(r: Record<string, string>): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(r)) {
    if (!(RESTORABLE_SYSCTLS as readonly string[]).includes(k)) throw new NodeJobError(`sysctl ${JSON.stringify(k.slice(0, 60))} cannot be restored (only ${RESTORABLE_SYSCTLS.join(', ')})`);
    if (typeof v !== 'string' || !/^\d{1,3}$/.test(v)) throw new NodeJobError(`sysctl ${k} must be restored to a number`);
    parts.push(`${k}=${v}`);
  }
  return parts.join(' ');
}

interface ManifestParts {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  node: string;
  runId: string;
  opts: NodeJobOptions;
  backoffLimit: number;
  container: Record<string, unknown>;
  volumes?: Record<string, unknown>[];
}

function jobManifest(p: ManifestParts): Record<string, unknown> {
  const ttl = Math.max(3600, p.opts.ttlSecondsAfterFinished ?? 3600);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: p.name,
      namespace: p.namespace,
      labels: p.labels,
      annotations: { ...(p.opts.annotations ?? {}), 'ipvs-bot/node': p.node },
    },
    spec: {
      backoffLimit: p.backoffLimit,
      activeDeadlineSeconds: p.opts.activeDeadlineSeconds ?? 300,
      ttlSecondsAfterFinished: ttl,
      completions: 1,
      parallelism: 1,
      template: {
        metadata: { labels: p.labels },
        spec: {
          // nodeName bypasses the scheduler: cordoned or full nodes still get their Job, like kube-proxy itself.
          nodeName: p.node,
          tolerations: [{ operator: 'Exists' }],
          hostPID: true,
          hostNetwork: true,
          dnsPolicy: 'ClusterFirstWithHostNet',
          restartPolicy: 'Never',
          automountServiceAccountToken: false,
          enableServiceLinks: false,
          terminationGracePeriodSeconds: 5,
          containers: [p.container],
          ...(p.volumes ? { volumes: p.volumes } : {}),
        },
      },
    },
  };
}
