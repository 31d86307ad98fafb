// The kubelets of all simulated nodes (plus the scheduler's binding step for DaemonSet pods): drives pod status
// through ContainerCreating → Running, runs kube-proxy (kube-proxy-sim) and Job pods (node agent) against the
// node's HostState, and finishes graceful deletions the way the fixtures' kubelet stand-in did.
import type { WatchEvent } from '../object-store.js';
import { startKubeProxy } from '../kube-proxy-sim.js';
import { jobRunMs, kubeProxyCleanup, runNodeJob } from '../node-agent/node-agent.js';
import { nodeIsReady } from '../cluster-faults.js';
import { type ClusterContext, type Obj, finalDelete, isDeleting, isTerminal, isoNow, randomSuffix } from './context.js';
import { podNode } from './daemonset-controller.js';
import type { Informer } from './informer.js';
import { creatingStatus, crashLoopStatus, imagePullStatus, runningStatus, scheduledStatus, terminatedStatus, windowsPullError } from './pod-status.js';
import { configMapFileExists, missingConfigMap } from './pod-volumes.js';

interface PodRun {
  stage: 'binding' | 'creating' | 'running' | 'crashloop' | 'done' | 'terminating'; instance: number; restarts: number; cancel?: () => void;
  /** FailedMount: how often the volume set-up failed, and the event counting it */
  mountFailures?: number; mountEvent?: string;
}

export class Kubelets {
  private readonly runs = new Map<string, PodRun>();
  /** node → uid of the kube-proxy pod whose process serves /proxyMode there */
  private readonly serving = new Map<string, string>();
  private podSeq = 0;

  constructor(private readonly ctx: ClusterContext, private readonly pods: Informer, private readonly nodes: Informer) {}

  start(): void {
    this.pods.onEvent((e) => this.onPod(e));
    this.nodes.onEvent((e) => {
      if (e.type === 'MODIFIED' && nodeIsReady(e.object)) {
        for (const p of this.pods.list()) if ((p as Obj).spec?.nodeName === e.object.metadata.name) this.consider(p as Obj);
      }
    });
  }

  /** Marks pods that the seed created already running (no timers needed for them). */
  adoptRunning(uid: string, node: string, kubeProxy: boolean): void {
    this.runs.set(uid, { stage: 'running', instance: 1, restarts: 0 });
    if (kubeProxy) this.serving.set(node, uid);
  }

  private onPod(e: WatchEvent): void {
    const p = e.object as Obj;
    const uid = p.metadata.uid as string;
    if (e.type === 'DELETED') {
      this.runs.get(uid)?.cancel?.();
      this.runs.delete(uid);
      this.stopServing(uid, p.spec?.nodeName);
      this.ctx.logs.forget(uid);
      return;
    }
    this.consider(p);
  }

  private after(run: PodRun, ms: number, fn: () => void): void {
    run.cancel = this.ctx.timers.after(ms, () => { run.cancel = undefined; if (!this.ctx.stopped) fn(); });
  }

  private nodeReady(name: string): boolean { return nodeIsReady(this.nodes.get(undefined, name)); }

  private isWindows(name: string): boolean {
    return (this.nodes.get(undefined, name)?.metadata.labels as Record<string, string> | undefined)?.['kubernetes.io/os'] === 'windows';
  }

  /**
   * A Windows kubelet asked to run a Linux image: the pull fails (no windows/amd64 manifest), the pod stays Pending in
   * ErrImagePull / ImagePullBackOff with a Failed event, and never runs.
   */
  private windowsPull(p: Obj, node: string): void {
    const uid = p.metadata.uid as string;
    const run: PodRun = { stage: 'creating', instance: 0, restarts: 0 };
    this.runs.set(uid, run);
    const set = (reason: 'ErrImagePull' | 'ImagePullBackOff') => {
      const cur = this.current(p);
      if (!cur) return;
      this.ctx.store.mutate('pods', cur.metadata.namespace, cur.metadata.name, (o) => { o.status = imagePullStatus(cur, this.ctx.now(), this.nodeIP(node), reason); }, { status: true });
    };
    this.after(run, 3 * this.ctx.opts.stepMs, () => {
      set('ErrImagePull');
      const cur = this.current(p);
      const image = (cur?.spec?.containers?.[0]?.image ?? '') as string;
      if (cur) this.failedMountEvent(run, cur, node, `Failed to pull image "${image}": ${windowsPullError(image)}`, 'Failed');
      this.after(run, this.ctx.opts.stepMs, () => set('ImagePullBackOff'));
    });
  }

  private consider(p: Obj): void {
    const uid = p.metadata.uid as string;
    let run = this.runs.get(uid);
    const node = p.spec?.nodeName as string | undefined;
    if (isDeleting(p)) {
      if (run?.stage === 'terminating' || !node || !this.ctx.hosts.has(node)) return;
      if (!run) { run = { stage: 'terminating', instance: 1, restarts: 0 }; this.runs.set(uid, run); }
      run.cancel?.();
      run.stage = 'terminating';
      this.after(run, this.ctx.opts.stepMs, () => this.finishDeletion(p.metadata.namespace, p.metadata.name, uid, node));
      return;
    }
    if (run || isTerminal(p)) return;
    if (!node) {
      const target = podNode(p);
      if (!target || !this.nodes.get(undefined, target)) return;
      run = { stage: 'binding', instance: 0, restarts: 0 };
      this.runs.set(uid, run);
      this.after(run, this.ctx.opts.stepMs, () => this.bind(p, target));
      return;
    }
    if (this.isWindows(node) && this.nodeReady(node)) { this.windowsPull(p, node); return; }
    if (!this.ctx.hosts.has(node) || !this.nodeReady(node)) return;
    run = { stage: 'creating', instance: 0, restarts: 0 };
    this.runs.set(uid, run);
    // The kubelet notices a new pod later than the controllers act (three steps): a replaced pod's final DELETE
    // (two steps after its end) lands before its successor's ContainerCreating, as in the fixtures.
    this.after(run, 3 * this.ctx.opts.stepMs, () => {
      const cur = this.current(p);
      if (!cur) return;
      this.ctx.store.mutate('pods', cur.metadata.namespace, cur.metadata.name, (o) => { o.status = creatingStatus(cur, this.ctx.now(), this.nodeIP(node), this.podIP()); }, { status: true });
      this.after(run, this.ctx.opts.stepMs, () => this.mountVolumes(uid, p.metadata.namespace, p.metadata.name, node));
    });
  }

  /**
   * The volume manager before the container starts: while a ConfigMap volume's ConfigMap is missing the pod stays
   * ContainerCreating, a FailedMount warning is recorded (one event, its count raised per retry, as the event
   * recorder aggregates) and the mount is retried with back-off, so the pod starts once the ConfigMap appears.
   */
  private mountVolumes(uid: string, ns: string | undefined, name: string, node: string): void {
    const run = this.runs.get(uid);
    const cur = this.ctx.store.peek('pods', ns, name) as Obj | undefined;
    if (!run || !cur || cur.metadata.uid !== uid || isDeleting(cur)) return;
    const missing = missingConfigMap(this.ctx.store, cur);
    if (!missing) { this.startContainer(uid, ns, name, node); return; }
    run.mountFailures = (run.mountFailures ?? 0) + 1;
    this.failedMountEvent(run, cur, node, `MountVolume.SetUp failed for volume "${missing.volume}" : configmap "${missing.configMap}" not found`);
    const backoff = Math.max(1, this.ctx.opts.stepMs) * 2 ** Math.min(run.mountFailures, 6);
    this.after(run, backoff, () => this.mountVolumes(uid, ns, name, node));
  }

  private failedMountEvent(run: PodRun, pod: Obj, node: string, message: string, reason = 'FailedMount'): void {
    const t = isoNow(this.ctx.now());
    const ns = pod.metadata.namespace;
    if (run.mountEvent && this.ctx.store.mutate('events', ns, run.mountEvent, (e) => {
      (e as Obj & { count?: number }).count = ((e as Obj & { count?: number }).count ?? 1) + 1;
      (e as Obj & { lastTimestamp?: string }).lastTimestamp = t;
    })) return;
    run.mountEvent = `${pod.metadata.name}.${randomSuffix(this.ctx.rng, 16)}`;
    this.ctx.store.create('events', {
      apiVersion: 'v1', kind: 'Event',
      metadata: { name: run.mountEvent, namespace: ns },
      involvedObject: { kind: 'Pod', namespace: ns, name: pod.metadata.name, uid: pod.metadata.uid, apiVersion: 'v1', resourceVersion: pod.metadata.resourceVersion },
      reason, message, source: { component: 'kubelet', host: node },
      firstTimestamp: t, lastTimestamp: t, count: 1, type: 'Warning', eventTime: null,
      reportingComponent: 'kubelet', reportingInstance: node,
    });
  }

  private current(p: Obj): Obj | undefined {
    const cur = this.ctx.store.get('pods', p.metadata.namespace, p.metadata.name) as Obj | undefined;
    return cur && cur.metadata.uid === p.metadata.uid && !isDeleting(cur) ? cur : undefined;
  }

  private bind(p: Obj, node: string): void {
    const cur = this.current(p);
    if (!cur || cur.spec?.nodeName) return;
    this.runs.delete(cur.metadata.uid as string);
    // One write, as the API server's binding subresource does: nodeName + PodScheduled.
    this.ctx.store.mutate('pods', cur.metadata.namespace, cur.metadata.name, (o) => {
      (o.spec as Record<string, unknown>).nodeName = node;
      o.status = scheduledStatus(cur, this.ctx.now());
    }, { status: true });
  }

  private nodeIP(node: string): string {
    const n = this.nodes.get(undefined, node) as Obj | undefined;
    return ((n?.status?.addresses ?? []) as { type: string; address: string }[]).find((a) => a.type === 'InternalIP')?.address ?? '127.0.0.1';
  }

  private nodeIPs(node: string): string[] {
    const n = this.nodes.get(undefined, node) as Obj | undefined;
    return ((n?.status?.addresses ?? []) as { type: string; address: string }[]).filter((a) => a.type === 'InternalIP').map((a) => a.address);
  }

  private podIP(): string {
    const i = ++this.podSeq;
    if (this.ctx.opts.ipFamilies === 'IPv6') return `fd00:10:244:${(Math.floor(i / 250) % 250 + 1).toString(16)}::${((i % 250) + 2).toString(16)}`;
    return `10.244.${Math.floor(i / 250) % 250}.${(i % 250) + 2}`;
  }

  private startContainer(uid: string, ns: string | undefined, name: string, node: string): void {
    const run = this.runs.get(uid);
    const cur = this.ctx.store.get('pods', ns, name) as Obj | undefined;
    if (!run || !cur || cur.metadata.uid !== uid || isDeleting(cur)) return;
    if (!this.nodeReady(node)) { this.runs.delete(uid); return; } // resumes when the node is Ready again
    const host = this.ctx.hosts.get(node);
    if (!host) return;
    run.instance++;
    const now = this.ctx.now();
    const container = (cur.spec?.containers?.[0]?.name ?? 'main') as string;
    const setStatus = (s: Record<string, unknown>) => this.ctx.store.mutate('pods', ns, name, (o) => { o.status = s; }, { status: true });
    const owner = ((cur.metadata.ownerReferences ?? []) as { kind: string }[])[0]?.kind;
    if (cur.metadata.labels?.['k8s-app'] === 'kube-proxy') {
      // Gardener's pattern (gardener PR #2238): an init container running `kube-proxy --cleanup` before the proxier starts
      const init = ((cur.spec?.initContainers ?? []) as { name: string; command?: string[]; args?: string[] }[])
        .find((c) => [...(c.command ?? []), ...(c.args ?? [])].includes('--cleanup'));
      if (init && run.instance === 1) this.ctx.logs.start(uid, init.name, kubeProxyCleanup(host).log);
      const cm = this.ctx.store.get('configmaps', 'kube-system', 'kube-proxy');
      const res = startKubeProxy({
        host, version: this.ctx.opts.kubernetesVersion, configText: (cm?.data as Record<string, string> | undefined)?.['config.conf'],
        services: this.ctx.services(), nodeIP: this.nodeIP(node), nodeIPs: this.nodeIPs(node), now, forceCrash: this.ctx.faults.kubeProxyCrashLoop.has(node),
      });
      this.ctx.logs.start(uid, container, res.log);
      if (res.mode) {
        run.stage = 'running';
        this.serving.set(node, uid);
        setStatus(runningStatus(cur, now, this.nodeIP(node), this.podIP(), run.instance));
        if (res.ipvsDeprecation) this.deprecationEvent(node);
        return;
      }
      this.stopServing(uid, node);
      run.stage = 'crashloop';
      run.restarts++;
      setStatus(crashLoopStatus(cur, now, this.nodeIP(node), this.podIP(), run.restarts, run.instance, isoNow(now)));
      const delay = this.ctx.opts.crashBackoffMs * Math.min(16, 2 ** (run.restarts - 1));
      this.after(run, delay, () => this.startContainer(uid, ns, name, node));
      return;
    }
    run.stage = 'running';
    setStatus(runningStatus(cur, now, this.nodeIP(node), this.podIP(), run.instance));
    if (owner !== 'Job') { this.ctx.logs.start(uid, container, [`${name} started`]); return; }
    this.ctx.logs.start(uid, container, []);
    if (this.ctx.faults.jobsNeverComplete.has(node)) return;
    this.after(run, jobRunMs(host, cur, now.getTime(), this.ctx.opts.stepMs), () => {
      const again = this.current(cur);
      if (!again) return;
      const out = this.scriptNotFound(again) ?? runNodeJob(host, again, {
        services: this.ctx.services(), resync: () => this.resync(node), clusterDomain: this.ctx.clusterDomain(), dnsFailure: this.ctx.opts.dnsFailure,
        jobStartedAtMs: now.getTime(),
      });
      this.ctx.logs.append(uid, container, out.log);
      run.stage = 'done';
      setStatus(terminatedStatus(again, this.ctx.now(), this.ctx.faults.jobsFail.has(node) ? 1 : out.exitCode, out.message, run.instance));
    });
  }

  /** `bash <file>` where the file should come from a mounted ConfigMap that has no such key: bash exits 127. */
  private scriptNotFound(pod: Obj): { exitCode: number; message: string; log: string[] } | undefined {
    const c = (pod.spec?.containers ?? [])[0] as { command?: string[]; volumeMounts?: { name: string; mountPath: string }[] } | undefined;
    const [shell, file] = c?.command ?? [];
    if (!shell || !/(^|\/)(ba)?sh$/.test(shell) || !file || file.startsWith('-')) return undefined;
    if (configMapFileExists(this.ctx.store, pod, c?.volumeMounts ?? [], file) !== false) return undefined;
    const line = `${shell}: ${file}: No such file or directory`;
    return { exitCode: 127, message: line, log: [line] };
  }

  /** The running kube-proxy re-programs its mode at its next sync (after `kube-proxy --cleanup` flushed the host). */
  private resync(node: string): void {
    const uid = this.serving.get(node);
    const pod = uid ? this.pods.getByUid(uid) : undefined;
    if (!pod) return;
    const host = this.ctx.hosts.get(node);
    const cm = this.ctx.store.get('configmaps', 'kube-system', 'kube-proxy');
    if (!host) return;
    startKubeProxy({ host, version: this.ctx.opts.kubernetesVersion, configText: (cm?.data as Record<string, string> | undefined)?.['config.conf'], services: this.ctx.services() });
  }

  private stopServing(uid: string, node: string | undefined): void {
    if (!node || this.serving.get(node) !== uid) return;
    this.serving.delete(node);
    const host = this.ctx.hosts.get(node);
    if (host) host.proxyMode = '';
  }

  private finishDeletion(ns: string | undefined, name: string, uid: string, node: string): void {
    const cur = this.ctx.store.get('pods', ns, name) as Obj | undefined;
    if (!cur || cur.metadata.uid !== uid) return;
    const run = this.runs.get(uid);
    this.stopServing(uid, node);
    if (!isTerminal(cur)) {
      const isJob = ((cur.metadata.ownerReferences ?? []) as { kind: string }[]).some((r) => r.kind === 'Job');
      const exit = isJob ? 137 : 0;
      this.ctx.store.mutate('pods', ns, name, (o) => { o.status = terminatedStatus(cur, this.ctx.now(), exit, '', run?.instance ?? 1); }, { status: true });
    }
    // The kubelet's final grace-0 DELETE comes a little after the terminal status: the DaemonSet controller
    // creates the replacement in between (fixture note 14).
    const run2 = run ?? { stage: 'terminating' as const, instance: 1, restarts: 0 };
    this.after(run2, 2 * this.ctx.opts.stepMs, () => {
      const after = this.ctx.store.get('pods', ns, name) as Obj | undefined;
      if (after && after.metadata.uid === uid) finalDelete(this.ctx, after);
    });
  }

  private deprecationEvent(node: string): void {
    const t = isoNow(this.ctx.now());
    const msg = "The ipvs proxier is now deprecated and may be removed in a future release. Please use 'nftables' instead.";
    this.ctx.store.create('events', {
      apiVersion: 'v1', kind: 'Event',
      metadata: { name: `${node}.${randomSuffix(this.ctx.rng, 16)}`, namespace: 'default' },
      involvedObject: { kind: 'Node', name: node, uid: node, apiVersion: 'v1' },
      reason: 'IPVSDeprecation', message: msg, source: { component: 'kube-proxy', host: node },
      firstTimestamp: t, lastTimestamp: t, count: 1, type: 'Warning', eventTime: null,
      reportingComponent: 'kube-proxy', reportingInstance: node, action: 'StartKubeProxy',
    });
  }
}
