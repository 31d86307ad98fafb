// The Cluster port over @kubernetes/client-node 1.4 (the only file that imports it). Every request goes through
// `call`: counted per verb, retried with backoff on retryable errors only, errors normalised by toK8sError.
// Waits use one list + watch per call (resumed from the last resourceVersion, re-listed on 410), never polling.
import {
  ApiException, AppsV1Api, AuthorizationV1Api, BatchV1Api, CoreV1Api, KubeConfig, Observable, PatchStrategy,
  VersionApi, Watch, setHeaderOptions,
} from '@kubernetes/client-node';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import type {
  AccessReviewer, Cluster, ConfigMapInfo, DaemonSetInfo, JobResult, NodeInfo, NodeJobSpec, PodInfo, PodWaitOutcome,
  PodWaitTarget, RequestStats, RequestVerb, ServiceInfo,
} from './cluster.js';
import { K8sError, fromHttp, toK8sError } from './errors.js';
import {
  jobOutcome, lastJsonObject, podFailed, terminationResult, toConfigMapInfo, toDaemonSetInfo, toNodeInfo, toPodInfo,
  toServiceInfo,
} from './k8s-objects.js';
import { DEFAULT_RETRY, NO_ANSWER, withRetry, type RetryPolicy } from './retry.js';
import { withCleanupInit } from './kube-proxy-cleanup-init.js';
import { watchUntil, type WatchDeps, type WatchEnd } from './watch-until.js';
import {
  WRITE_MARK_ANNOTATION, dataSha, markOps, nextDaemonSetMark, sha256Text, type ConfigMapMark, type WriteBy,
} from './write-mark.js';

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = any;

export interface K8sClusterOptions {
  retry?: Partial<RetryPolicy>;
  /** Per-request timeout (watches excepted). */
  requestTimeoutMs?: number;
  /** Longest single watch connection before it is resumed from its resourceVersion. */
  watchTimeoutSeconds?: number;
  /** Each failed request attempt, by verb and error kind (for k8s_request_errors_total). */
  onRequestError?: (verb: RequestVerb, kind: K8sError['kind']) => void;
}

export interface LoadKubeConfigOptions { kubeconfig?: string; context?: string; inCluster?: boolean }

const MANAGED_SELECTOR = 'app.kubernetes.io/managed-by=ipvs-bot';
const CONFIGMAP_RECHECK_MS = 60_000;
const EMPTY_LIST = '{"items":[]}';
const LIST_PAGE = 500;
const API_GROUPS: Record<string, string> = {
  daemonsets: 'apps', deployments: 'apps', controllerrevisions: 'apps', jobs: 'batch',
  selfsubjectaccessreviews: 'authorization.k8s.io', leases: 'coordination.k8s.io',
};

/** Build a KubeConfig from a file (+ context), the default locations, or the in-cluster service account. */
export function loadKubeConfig(opts: LoadKubeConfigOptions = {}): KubeConfig {
  const kc = new KubeConfig();
  try {
    if (opts.kubeconfig) kc.loadFromFile(opts.kubeconfig);
    else if (opts.inCluster) kc.loadFromCluster();
    else kc.loadFromDefault();
  } catch (e) {
    // Never echo the library's message: a YAML error can quote the file, credentials included.
    const code = (e as { code?: string }).code;
    throw new K8sError(`kubeconfig ${opts.kubeconfig ?? '(default)'} could not be read or parsed${code ? ` (${code})` : ''}`,
      { kind: 'Invalid', status: 0, retryable: false });
  }
  if (opts.context) {
    if (!kc.getContexts().some((c) => c.name === opts.context)) {
      throw new K8sError(`context ${opts.context} is not in the kubeconfig`, { kind: 'Invalid', status: 0, retryable: false });
    }
    kc.setCurrentContext(opts.context);
  }
  const current = kc.getCurrentCluster();
  if (!current) throw new K8sError('the kubeconfig has no current cluster', { kind: 'Invalid', status: 0, retryable: false });
  if (current.server.startsWith('http://') && !current.skipTLSVerify) {
    // client-node builds TLS options for every cluster; a plain-http server (the sandbox) needs them off.
    kc.loadFromOptions({
      clusters: kc.clusters.map((c) => (c.name === current.name ? { ...c, skipTLSVerify: true } : c)),
      users: kc.users, contexts: kc.contexts, currentContext: kc.getCurrentContext(),
    });
  }
  return kc;
}

export class K8sCluster implements Cluster, AccessReviewer {
  private readonly core: CoreV1Api;
  private readonly apps: AppsV1Api;
  private readonly batch: BatchV1Api;
  private readonly versionApi: VersionApi;
  private readonly authz: AuthorizationV1Api;
  private readonly watcher: Watch;
  private readonly retry: RetryPolicy;
  private readonly requestTimeoutMs: number;
  private readonly onRequestError: K8sClusterOptions['onRequestError'];
  private readonly watchTimeoutSeconds: number;
  private counts: RequestStats = emptyStats();
  private uid?: string;
  private readonly jobConfigMaps = new Map<string, { at: number; done: Promise<void> }>();
  private readonly agents = new Map<string, HttpAgent>();

  constructor(kc: KubeConfig, opts: K8sClusterOptions = {}) {
    this.core = kc.makeApiClient(CoreV1Api);
    this.apps = kc.makeApiClient(AppsV1Api);
    this.batch = kc.makeApiClient(BatchV1Api);
    this.versionApi = kc.makeApiClient(VersionApi);
    this.authz = kc.makeApiClient(AuthorizationV1Api);
    this.watcher = new Watch(kc);
    this.retry = { ...DEFAULT_RETRY, ...opts.retry };
    this.requestTimeoutMs = opts.requestTimeoutMs ?? 10_000; // config.ts DEFAULT_K8S_REQUEST_TIMEOUT_MS
    this.onRequestError = opts.onRequestError;
    this.watchTimeoutSeconds = opts.watchTimeoutSeconds ?? 290;
  }

  static fromKubeconfig(load: LoadKubeConfigOptions, opts?: K8sClusterOptions): K8sCluster {
    return new K8sCluster(loadKubeConfig(load), opts);
  }

  /** Requests made so far, per verb (each retry counts), plus retries, watch reconnects and re-lists. */
  stats(): RequestStats {
    return { ...this.counts, requests: { ...this.counts.requests } };
  }

  resetStats(): void { this.counts = emptyStats(); }

  // --- read ------------------------------------------------------------------------------------------------------

  async version(): Promise<{ gitVersion: string; major: string; minor: string }> {
    // ObjectVersionApi.getCode(param, options): options passed as the first argument were ignored, so this request
    // had no timeout at all and `doctor` hung on a silent server.
    const v = await this.call('get', 'read server version', () => this.versionApi.getCode({}, this.opts()));
    return { gitVersion: v.gitVersion, major: v.major, minor: v.minor };
  }

  async clusterUid(): Promise<string> {
    // kube-system's uid: stable for the cluster's lifetime, readable without cluster-scoped rights beyond the namespace.
    if (!this.uid) {
      const ns = await this.call('get', 'read namespace kube-system', () => this.core.readNamespace({ name: 'kube-system' }, this.opts()));
      this.uid = ns.metadata?.uid ?? '';
    }
    return this.uid;
  }

  async listNodes(): Promise<NodeInfo[]> {
    // Pages mapped to NodeInfo as they come: real nodes carry their image lists, 5,000 of them are tens of MB.
    const l = await this.call('list', 'list nodes', () => this.plainList((o, page) => this.core.listNode(page, o), toNodeInfo));
    return l.items;
  }

  async listServices(): Promise<ServiceInfo[]> {
    const l = await this.call('list', 'list services', () => this.plainList((o, page) => this.core.listServiceForAllNamespaces(page, o)));
    return l.items.map(toServiceInfo);
  }

  async listWorkloadNames(): Promise<{ namespace: string; kind: string; name: string; image: string }[]> {
    const [ds, deploy] = await Promise.all([
      this.call('list', 'list daemonsets', () => this.plainList((o, page) => this.apps.listDaemonSetForAllNamespaces(page, o))),
      this.call('list', 'list deployments', () => this.plainList((o, page) => this.apps.listDeploymentForAllNamespaces(page, o))),
    ]);
    const row = (kind: string) => (o: Obj) => ({
      namespace: o.metadata?.namespace ?? '', kind, name: o.metadata?.name ?? '',
      image: o.spec?.template?.spec?.containers?.[0]?.image ?? '',
    });
    return [...ds.items.map(row('DaemonSet')), ...deploy.items.map(row('Deployment'))];
  }

  async getConfigMap(namespace: string, name: string): Promise<ConfigMapInfo> {
    const cm = await this.call('get', `read configmap ${namespace}/${name}`, () => this.core.readNamespacedConfigMap({ namespace, name }, this.opts()));
    return toConfigMapInfo(cm);
  }

  async patchConfigMapData(namespace: string, name: string, key: string, value: string, resourceVersion: string, by?: WriteBy): Promise<ConfigMapInfo> {
    // A merge patch carrying metadata.resourceVersion is a precondition: the server answers 409 when it is stale.
    // The write mark (write-mark.ts) goes in the same patch: data before/after, so a restarted run knows its write.
    const before = by ? await this.getConfigMap(namespace, name) : undefined;
    const mark: ConfigMapMark | undefined = before && by
      ? { run: by.run, step: by.step, from: resourceVersion, fromSha: sha256Text(before.data[key] ?? ''), dataSha: dataSha({ ...before.data, [key]: value }) }
      : undefined;
    const body = { metadata: { resourceVersion, ...(mark ? { annotations: { [WRITE_MARK_ANNOTATION]: JSON.stringify(mark) } } : {}) }, data: { [key]: value } };
    try {
      if (before && before.resourceVersion !== resourceVersion) {
        throw new K8sError(`patch configmap ${namespace}/${name}: resourceVersion ${resourceVersion} is stale (now ${before.resourceVersion})`, { kind: 'Conflict', status: 409, retryable: false });
      }
      const cm = await this.call('patch', `patch configmap ${namespace}/${name}`, () =>
        this.core.patchNamespacedConfigMap({ namespace, name, body, fieldManager: 'ipvs-bot' }, this.opts(PatchStrategy.MergePatch)));
      return toConfigMapInfo(cm);
    } catch (e) {
      // A retried patch whose first attempt was applied (answer lost) meets its own new resourceVersion: 409.
      // If the key already holds exactly our value, nobody else's edit was overwritten and the patch is done.
      const err = toK8sError(e);
      if (err.kind !== 'Conflict') throw err;
      const now = await this.getConfigMap(namespace, name);
      if (now.data[key] === value) return now;
      throw err;
    }
  }

  async getDaemonSet(namespace: string, name: string): Promise<DaemonSetInfo> {
    const ds = await this.call('get', `read daemonset ${namespace}/${name}`, () => this.apps.readNamespacedDaemonSet({ namespace, name }, this.opts()));
    return toDaemonSetInfo(ds);
  }

  async setDaemonSetUpdateStrategy(namespace: string, name: string, strategy: DaemonSetInfo['updateStrategy'], by?: WriteBy): Promise<DaemonSetInfo> {
    const raw = await this.daemonSetAsPlainObject(namespace, name);
    const current = toDaemonSetInfo(raw);
    const same = current.updateStrategy.type === strategy.type
      && (strategy.rollingUpdate === undefined || sameJson(current.updateStrategy.rollingUpdate, strategy.rollingUpdate));
    if (same) return current; // idempotent: no write, no new resourceVersion
    const updateStrategy = { type: strategy.type, ...(strategy.rollingUpdate ? { rollingUpdate: strategy.rollingUpdate } : {}) };
    // The strategy the bot's OnDelete replaces stays in the mark until the bot sets another one, so a later run's
    // snapshot never takes the bot's own OnDelete for the original (issue #14 item 3).
    const original = strategy.type === 'OnDelete'
      ? (current.updateStrategy.type === 'OnDelete' ? current.writeMark?.original : current.updateStrategy) : undefined;
    const mark = nextDaemonSetMark(current.writeMark, current.generation, by, original);
    // Merge patch, spec and mark together (one generation step). A concurrent spec edit in between makes the live
    // generation miss base + writes: the write is then not recognised as the bot's own (drift, the safe side).
    const body = { metadata: { annotations: { [WRITE_MARK_ANNOTATION]: JSON.stringify(mark) } }, spec: { updateStrategy } };
    const ds = await this.call('patch', `patch daemonset ${namespace}/${name}`, () =>
      this.apps.patchNamespacedDaemonSet({ namespace, name, body, fieldManager: 'ipvs-bot' }, this.opts(PatchStrategy.MergePatch)));
    return toDaemonSetInfo(ds);
  }

  async setKubeProxyCleanupInit(namespace: string, name: string, on: boolean, by?: WriteBy): Promise<boolean> {
    const plainDs = await this.daemonSetAsPlainObject(namespace, name);
    const next = withCleanupInit(plainDs.spec?.template?.spec, on);
    if (next === undefined) return false; // idempotent: no write
    const info = toDaemonSetInfo(plainDs);
    // Keeps `original` while the bot's OnDelete stands (this write does not touch the strategy).
    const mark = nextDaemonSetMark(info.writeMark, info.generation, by, info.writeMark?.original);
    // JSON patch testing metadata.generation (spec changes only; the controller's status writes do not move it): a
    // concurrent edit of the template makes the patch fail instead of being overwritten.
    const body = [
      { op: 'test', path: '/metadata/generation', value: plainDs.metadata?.generation },
      { op: 'add', path: '/spec/template/spec/initContainers', value: next },
      ...markOps(plainDs.metadata?.annotations, mark),
    ];
    await this.call('patch', `patch daemonset ${namespace}/${name}`, () =>
      this.apps.patchNamespacedDaemonSet({ namespace, name, body, fieldManager: 'ipvs-bot' }, this.opts(PatchStrategy.JsonPatch)));
    return true;
  }

  private async daemonSetAsPlainObject(namespace: string, name: string): Promise<Obj> {
    const ds = await this.call('get', `read daemonset ${namespace}/${name}`, () => this.apps.readNamespacedDaemonSet({ namespace, name }, this.opts()));
    return JSON.parse(JSON.stringify(ds)) as Obj;
  }

  async listPods(namespace: string, labelSelector: string, opts: { fieldSelector?: string } = {}): Promise<PodInfo[]> {
    // Plain JSON (see plainList): the snapshot lists every node's kube-proxy pod, 1,000 pods on a 1,000-node cluster.
    const fieldSelector = opts.fieldSelector ? { fieldSelector: opts.fieldSelector } : {};
    const l = await this.call('list', `list pods in ${namespace}`, () => this.plainList((o, page) => this.core.listNamespacedPod({ namespace, labelSelector, ...fieldSelector, ...page }, o), slimPod));
    return l.items.map(toPodInfo);
  }

  async deletePod(namespace: string, name: string, uid?: string): Promise<void> {
    try {
      await this.call('delete', `delete pod ${namespace}/${name}`, () =>
        this.core.deleteNamespacedPod({ namespace, name, ...(uid ? { body: { preconditions: { uid } } } : {}) }, this.opts(undefined, { discardBody: true })));
    } catch (e) {
      // Ensure semantics: gone already (404), or the name now belongs to another pod (uid precondition, 409).
      const err = toK8sError(e);
      if (err.kind === 'NotFound' || (uid && err.kind === 'Conflict')) return;
      throw err;
    }
  }

  async waitForPodOnNode(namespace: string, labelSelector: string, node: string, opts: { notUid?: string; timeoutMs: number }): Promise<PodInfo> {
    const [o] = await this.waitForPodsOnNodes(namespace, labelSelector, [{ node, ...(opts.notUid ? { notUid: opts.notUid } : {}) }], { timeoutMs: opts.timeoutMs });
    if (o?.pod) return o.pod;
    throw o?.error ?? new Error(`no outcome for node ${node}`);
  }

  async waitForPodsOnNodes(namespace: string, labelSelector: string, targets: readonly PodWaitTarget[],
    opts: { timeoutMs: number; onSettled?: (outcome: PodWaitOutcome) => void }): Promise<PodWaitOutcome[]> {
    const pending = new Map<string, string | undefined>(targets.map((t) => [t.node, t.notUid]));
    const last = new Map<string, PodInfo>();
    const out = new Map<string, PodWaitOutcome>();
    const settle = (o: PodWaitOutcome) => { pending.delete(o.node); out.set(o.node, o); opts.onSettled?.(o); };
    if (pending.size > 0) {
      // One node: the server filters by node. Many: field selectors have no set form, so the watch takes the
      // selector's pods on every node and keeps the batch's.
      const only = pending.size === 1 ? [...pending.keys()][0]! : undefined;
      const query = { labelSelector, ...(only !== undefined ? { fieldSelector: `spec.nodeName=${only}` } : {}) };
      const what = only !== undefined ? `pods ${labelSelector} on ${only}` : `pods ${labelSelector} on ${pending.size} nodes`;
      await watchUntil<true>(this.watchDeps(what, `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods`,
        () => this.plainList((o, page) => this.core.listNamespacedPod({ namespace, ...query, ...page }, o), slimPod)), {
        what,
        query,
        timeoutMs: opts.timeoutMs,
        handle: (type, o) => {
          const node: string | undefined = o?.spec?.nodeName;
          if (type !== 'DELETED' && node !== undefined && pending.has(node) && o?.metadata?.uid !== pending.get(node)) {
            const p = toPodInfo(o);
            if (!p.deleting) {
              last.set(node, p);
              if (p.ready || podFailed(p)) settle({ node, pod: p });
            }
          }
          return pending.size === 0 ? true : undefined;
        },
      });
    }
    for (const node of [...pending.keys()]) {
      const seen = last.get(node);
      const text = seen ? ` (last seen: ${seen.name} ${seen.phase}${seen.reason ? `, ${seen.reason}` : ''})` : ' (no new pod seen)';
      settle({ node, error: new K8sError(`no Ready pod matching ${labelSelector} on node ${node} within ${Math.round(opts.timeoutMs / 1000)} s${text}`,
        { kind: 'Timeout', status: 0, reason: 'WaitTimeout', retryable: false }) });
    }
    return targets.map((t) => out.get(t.node)!);
  }

  async podLogs(namespace: string, name: string, opts: { tailLines?: number; previous?: boolean } = {}): Promise<string> {
    return this.call('log', `read logs of ${namespace}/${name}`, () =>
      this.core.readNamespacedPodLog({ namespace, name, ...(opts.tailLines !== undefined ? { tailLines: opts.tailLines } : {}), ...(opts.previous ? { previous: true } : {}) }, this.opts()));
  }

  // --- Jobs ------------------------------------------------------------------------------------------------------

  async ensureJob(spec: NodeJobSpec): Promise<void> {
    if (spec.configMap) await this.ensureJobConfigMap(spec.namespace, spec.configMap);
    // The manifest is already plain JSON: sent as its own JSON text (no walk through the V1Job model), and the 201
    // answer nobody reads is drained, not parsed into a model (~0.2 ms of CPU per Job both ways, 200 Jobs a batch).
    const text = JSON.stringify(spec.manifest);
    await this.ensureInJobNamespace(spec.namespace, () => this.call('create', `create job ${spec.namespace}/${spec.name}`, () =>
      this.batch.createNamespacedJob({ namespace: spec.namespace, body: {}, fieldManager: 'ipvs-bot' }, this.opts(undefined, { discardBody: true, bodyText: text }))));
  }

  /**
   * The Jobs' ConfigMap is named by its content and immutable, so "exists" means "right". Ensured once per
   * CONFIGMAP_RECHECK_MS and shared by concurrent callers: a 1,000-node batch costs one create, not 1,000, and a
   * ConfigMap someone deleted meanwhile comes back within a minute.
   */
  private ensureJobConfigMap(namespace: string, cm: { name: string; data: Record<string, string> }): Promise<void> {
    const key = `${namespace}/${cm.name}`;
    const known = this.jobConfigMaps.get(key);
    if (known && Date.now() - known.at < CONFIGMAP_RECHECK_MS) return known.done;
    const body = {
      apiVersion: 'v1', kind: 'ConfigMap', immutable: true,
      metadata: { name: cm.name, namespace, labels: { 'app.kubernetes.io/managed-by': 'ipvs-bot' } },
      data: cm.data,
    };
    const done = this.ensureInJobNamespace(namespace, () => this.call('create', `create configmap ${namespace}/${cm.name}`, () =>
      this.core.createNamespacedConfigMap({ namespace, body, fieldManager: 'ipvs-bot' }, this.opts())));
    this.jobConfigMaps.set(key, { at: Date.now(), done });
    done.catch(() => { if (this.jobConfigMaps.get(key)?.done === done) this.jobConfigMaps.delete(key); });
    return done;
  }

  /** Creates an object in the Jobs' namespace with ensure semantics (an existing one with that name is ours). */
  private async ensureInJobNamespace(namespace: string, create: () => Promise<unknown>): Promise<void> {
    try {
      await create();
    } catch (e) {
      const err = toK8sError(e);
      if (err.alreadyExists) return; // same deterministic name: this run already created it
      if (err.kind === 'NotFound') {
        // The namespace was missing when we tried. A concurrent call may have created it since, so its
        // existence now is no reason to give up: create it only if still absent, then try once more.
        if (!(await this.namespaceExists(namespace))) await this.ensureNamespace(namespace);
        try { await create(); } catch (e2) { if (!toK8sError(e2).alreadyExists) throw e2; }
        return;
      }
      throw err;
    }
  }

  async waitForJobs(namespace: string, names: string[], opts: {
    timeoutMs: number; labelSelector?: string; onResult?: (r: JobResult) => void; onFinished?: (r: JobResult) => void;
  }): Promise<JobResult[]> {
    const selector = opts.labelSelector ? `${MANAGED_SELECTOR},${opts.labelSelector}` : MANAGED_SELECTOR;
    const wanted = new Set(names);
    const done = new Map<string, JobResult>();
    const runs = new Set<string>();
    const seen = new Set<string>();
    const nodeOf = new Map<string, string>();
    const results = opts.onResult ? new ResultReader((batch) => this.attachResults(namespace, batch, runs, groupSelector(batch)), opts.onResult) : undefined;
    // With onResult, each group of finished Jobs has its results read at once (one pod list for the group's nodes).
    const groupSelector = (batch: JobResult[]) => {
      const nodes = batch.map((r) => nodeOf.get(r.name));
      if (!opts.labelSelector || nodes.some((n) => n === undefined)) return opts.labelSelector ? selector : undefined;
      return `${selector},ipvs-bot/node in (${[...new Set(nodes)].sort().join(',')})`;
    };
    const finish = (r: JobResult) => { done.set(r.name, r); opts.onFinished?.({ ...r }); results?.add(r, done.size === wanted.size); };
    if (wanted.size > 0) {
      await watchUntil<true>(this.watchDeps(`jobs in ${namespace}`, `/apis/batch/v1/namespaces/${encodeURIComponent(namespace)}/jobs`,
        () => this.plainList((o, page) => this.batch.listNamespacedJob({ namespace, labelSelector: selector, ...page }, o))), {
        what: `jobs in ${namespace}`,
        query: { labelSelector: selector },
        timeoutMs: opts.timeoutMs,
        handle: (type, o, initial) => {
          const name: string | undefined = o?.metadata?.name;
          if (initial === 'listed') {
            // After a (re-)list, Jobs that are not there any more (TTL, someone deleted them) cannot finish.
            for (const n of wanted) if (!done.has(n) && !seen.has(n)) finish({ name: n, outcome: 'failed', reason: 'NotFound' });
            return done.size === wanted.size ? true : undefined;
          }
          if (!name || !wanted.has(name)) return undefined;
          seen.add(name);
          const run = o.metadata?.labels?.['ipvs-bot/run'];
          if (run) runs.add(run);
          const node = o.metadata?.labels?.['ipvs-bot/node'];
          if (node) nodeOf.set(name, node);
          if (done.has(name)) return undefined;
          if (type === 'DELETED') finish({ name, outcome: 'failed', reason: 'Deleted' });
          else {
            const oc = jobOutcome(o);
            if (oc.outcome !== 'running') finish({ name, ...oc });
          }
          return done.size === wanted.size ? true : undefined;
        },
        resetOnList: () => seen.clear(),
      });
    }
    if (results) await results.drained();
    else await this.attachResults(namespace, [...done.values()], runs, opts.labelSelector ? selector : undefined);
    return names.map((n) => done.get(n) ?? { name: n, outcome: 'running' as const });
  }

  async deleteJob(namespace: string, name: string): Promise<void> {
    try {
      await this.call('delete', `delete job ${namespace}/${name}`, () =>
        this.batch.deleteNamespacedJob({ namespace, name, propagationPolicy: 'Background' }, this.opts()));
    } catch (e) {
      const err = toK8sError(e);
      if (err.kind !== 'NotFound') throw err;
    }
  }

  /** SelfSubjectAccessReview: may the bot's identity do `verb` on `resource` ("jobs" or "jobs.batch")? */
  async can(verb: string, resource: string, namespace?: string, name?: string, subresource?: string): Promise<boolean> {
    const dot = resource.indexOf('.');
    const plural = dot < 0 ? resource : resource.slice(0, dot);
    const group = dot < 0 ? (API_GROUPS[plural] ?? '') : resource.slice(dot + 1);
    const attrs = { verb, resource: plural, group, ...(namespace ? { namespace } : {}), ...(name ? { name } : {}), ...(subresource ? { subresource } : {}) };
    const r = await this.call('review', `access review ${verb} ${resource}`, () =>
      this.authz.createSelfSubjectAccessReview({ body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: attrs } } }, this.opts()));
    return r.status?.allowed === true;
  }

  // --- internals -------------------------------------------------------------------------------------------------

  private async namespaceExists(name: string): Promise<boolean> {
    try {
      await this.call('get', `read namespace ${name}`, () => this.core.readNamespace({ name }, this.opts()));
      return true;
    } catch (e) {
      if (toK8sError(e).kind === 'NotFound') return false;
      throw e;
    }
  }

  /** The Jobs' namespace must allow privileged pods (Pod Security Admission, domain §9.2). */
  private async ensureNamespace(name: string): Promise<void> {
    const body = {
      apiVersion: 'v1', kind: 'Namespace',
      metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'ipvs-bot', 'pod-security.kubernetes.io/enforce': 'privileged' } },
    };
    try {
      await this.call('create', `create namespace ${name}`, () => this.core.createNamespace({ body }, this.opts()));
    } catch (e) {
      if (!toK8sError(e).alreadyExists) throw e;
    }
  }

  /** Reads each finished Job's result: termination message of its pod, else the last JSON log line. */
  private async attachResults(namespace: string, results: JobResult[], runs: Set<string>, jobSelector?: string): Promise<void> {
    const finished = results.filter((r) => r.reason !== 'NotFound' && r.reason !== 'Deleted');
    if (finished.length === 0) return;
    // A Job's pods carry its template labels, which are the Job's own (node-jobs.ts): the wait's selector finds just
    // these Jobs' pods, where the run's selector would list every pod the run's Jobs left behind (an hour's worth).
    const selector = jobSelector ?? (runs.size > 0 ? `${MANAGED_SELECTOR},ipvs-bot/run in (${[...runs].join(',')})` : MANAGED_SELECTOR);
    const pods = await this.call('list', `list job pods in ${namespace}`, () => this.plainList((o, page) => this.core.listNamespacedPod({ namespace, labelSelector: selector, ...page }, o), slimPod));
    const byJob = new Map<string, Obj[]>();
    for (const p of pods.items as Obj[]) {
      const job = p.metadata?.labels?.['batch.kubernetes.io/job-name'] ?? p.metadata?.labels?.['job-name']
        ?? p.metadata?.ownerReferences?.find((o: Obj) => o.kind === 'Job')?.name;
      if (!job) continue;
      byJob.set(job, [...(byJob.get(job) ?? []), p]);
    }
    await forEachLimit(finished, 16, async (r) => {
      const candidates = (byJob.get(r.name) ?? []).sort((a, b) => time(b) - time(a));
      for (const p of candidates) {
        const fromMessage = terminationResult(p);
        if (fromMessage) { r.result = fromMessage; return; }
      }
      const newest = candidates[0];
      if (!newest) return;
      try {
        const fromLog = lastJsonObject(await this.podLogs(namespace, newest.metadata.name, { tailLines: 50 }));
        if (fromLog) r.result = fromLog;
      } catch { /* no result: the caller reports "the Job wrote no result" */ }
    });
  }

  private async call<T>(verb: RequestVerb, what: string, fn: () => Promise<T>): Promise<T> {
    const attempt = async (): Promise<T> => {
      this.counts.requests[verb]++;
      try {
        return await fn();
      } catch (e) {
        const err = this.noAnswer(e, what) ?? e;
        this.onRequestError?.(verb, toK8sError(err).kind);
        throw err;
      }
    };
    return withRetry(this.retry, what, attempt, () => { this.counts.retries++; });
  }

  /** Our own per-request bound expired (connect or answer): a clear error, not client-node's "aborted". */
  private noAnswer(e: unknown, what: string): K8sError | undefined {
    const name = (e as { name?: unknown } | null)?.name;
    if (name !== 'AbortError' && name !== 'TimeoutError') return undefined;
    return new K8sError(`${what}: the API server did not answer within ${formatMs(this.requestTimeoutMs)}`,
      { kind: 'Timeout', status: 0, reason: NO_ANSWER, retryable: true, cause: e });
  }

  /** Per-request options: a timeout signal, a kept-alive connection, and for patches the patch content type. */
  private opts(patchType?: string, o: { discardBody?: boolean; capture?: (text: string) => void; bodyText?: string } = {}) {
    const ms = this.requestTimeoutMs;
    const timeout = {
      pre: (ctx: Obj) => {
        ctx.setSignal(AbortSignal.timeout(ms));
        // The request body as given (the model layer serialized a placeholder).
        if (o.bodyText !== undefined) ctx.setBody(o.bodyText);
        const agent = this.keepAlive(ctx.getAgent());
        if (agent) ctx.setAgent(agent);
        return new Observable(Promise.resolve(ctx));
      },
      post: (resp: Obj) => {
        // A success answer we read as plain JSON (`capture`, e.g. a list) or not at all (`discardBody`, e.g. the
        // deleted pod): the model layer gets an empty list to parse instead (~1 ms of CPU per object saved).
        const keep = o.capture ?? (o.discardBody ? () => {} : undefined);
        if (keep && resp.httpStatusCode >= 200 && resp.httpStatusCode < 300) {
          const body = resp.body;
          resp.body = {
            text: async () => { keep(await body.text()); return EMPTY_LIST; },
            binary: async () => { keep(String(await body.binary())); return Buffer.from(EMPTY_LIST); },
          };
        }
        return new Observable(Promise.resolve(resp));
      },
    };
    const base = { middleware: [timeout], middlewareMergeStrategy: 'append' as const };
    return (patchType ? setHeaderOptions('Content-Type', patchType, base as Obj) : base) as Obj;
  }

  /**
   * A list as the plain JSON the server sent, parsed once (as watch events are), not turned into client-node models:
   * a batch's 1,000-pod kube-proxy list cost ~100 ms of CPU as models. Read in pages of LIST_PAGE (limit + continue,
   * one resourceVersion for the whole list), each page mapped by `keep` before the next is read: a 5,000-node
   * cluster's kube-proxy pods were one ~25 MB answer, the largest allocation of a run.
   */
  private async plainList<T = Obj>(fn: (opts: Obj, page: { limit: number; _continue?: string }) => Promise<unknown>, keep?: (o: Obj) => T):
    Promise<{ items: T[]; metadata?: { resourceVersion?: string } }> {
    const items: T[] = [];
    let resourceVersion: string | undefined;
    let cont: string | undefined;
    let pages = 0;
    do {
      let text: string | undefined;
      await fn(this.opts(undefined, { capture: (t) => { text = t; } }), { limit: LIST_PAGE, ...(cont ? { _continue: cont } : {}) });
      const l = JSON.parse(text ?? EMPTY_LIST) as { items?: Obj[] | null; metadata?: { resourceVersion?: string; continue?: string } };
      for (const o of l.items ?? []) items.push(keep ? keep(o) : o as T);
      resourceVersion ??= l.metadata?.resourceVersion;
      cont = l.metadata?.continue || undefined;
      if (pages++ > 0) this.counts.requests.list++; // the caller's call() counted the first page
    } while (cont);
    return { items, ...(resourceVersion !== undefined ? { metadata: { resourceVersion } } : {}) };
  }

  /**
   * client-node gives every request a new Agent, i.e. a new connection (and TLS handshake): a batch of 100 deletes
   * opened 100 connections. Requests share one keep-alive Agent per set of TLS options instead (plain http(s) Agents
   * only; proxy agents are left as they are). Keyed by the options, so changed client credentials get a new Agent.
   */
  private keepAlive(given: unknown): HttpAgent | undefined {
    const ctor: unknown = (given as { constructor?: unknown } | undefined)?.constructor;
    if (ctor !== HttpAgent && ctor !== HttpsAgent) return undefined;
    const o = (given as { options: Record<string, unknown> }).options;
    const tls = ['ca', 'cert', 'key', 'pfx', 'passphrase', 'rejectUnauthorized', 'servername'].map((k) => String(o[k] ?? '')).join('\0');
    const key = `${ctor === HttpsAgent ? 'https' : 'http'}\0${tls}`;
    let shared = this.agents.get(key);
    if (!shared) {
      const opts = { ...o, keepAlive: true };
      shared = ctor === HttpsAgent ? new HttpsAgent(opts) : new HttpAgent(opts);
      this.agents.set(key, shared);
    }
    return shared;
  }

  private watchDeps(what: string, path: string, list: () => Promise<{ items: unknown[]; metadata?: { resourceVersion?: string } }>): WatchDeps {
    return {
      list: () => this.call('list', `list ${what}`, list),
      open: (query, onEvent, cancel) => this.watchOnce(path, query, onEvent, cancel),
      retry: this.retry,
      maxConnectionSeconds: this.watchTimeoutSeconds,
      onRelist: () => { this.counts.relists++; },
      onReconnect: () => { this.counts.watchReconnects++; },
    };
  }

  /** One watch connection. `onEvent` returns true to stop. Resolves when the connection ends. */
  private watchOnce(path: string, query: Record<string, string>, onEvent: (type: string, obj: Obj) => boolean, cancel: Promise<void>):
    Promise<WatchEnd> {
    this.counts.requests.watch++;
    return new Promise((resolve) => {
      let settled = false;
      let controller: AbortController | undefined;
      const end = (v: WatchEnd) => { if (!settled) { settled = true; clearTimeout(connect); controller?.abort(); resolve(v); } };
      cancel.then(() => end({}));
      // A watch has no overall bound (it lasts up to watchTimeoutSeconds), but its response headers must come within
      // the request bound: a server that accepts the connection and never answers ends the connection as an error.
      const connect = setTimeout(() => end({ error: new K8sError(`watch ${path}: the API server did not answer within ${formatMs(this.requestTimeoutMs)}`,
        { kind: 'Timeout', status: 0, reason: NO_ANSWER, retryable: true }) }), this.requestTimeoutMs);
      this.watcher.watch(path, query, (type, obj) => {
        if (settled) return;
        if (type === 'ERROR') {
          const code = Number(obj?.code);
          if (code === 410) end({ expired: true });
          else end({ error: fromHttp(code || 500, obj?.message ?? 'watch error', obj?.reason) });
          return;
        }
        if (onEvent(type, obj)) end({});
      }, (err) => {
        if (!err) return end({});
        const code = Number((err as { statusCode?: number }).statusCode);
        if (code === 410) return end({ expired: true });
        end({ error: code ? new ApiException(code, String((err as Error).message), undefined, {}) : err });
      }).then((c) => { clearTimeout(connect); controller = c; if (settled) c.abort(); }, (e: unknown) => { clearTimeout(connect); end({ error: e }); });
    });
  }
}

/**
 * Reads finished Jobs' results in groups: the first finished Job is read at once, the ones finishing meanwhile wait for
 * that read (and READ_SPACING_MS) and go together in the next, so a batch costs a few pod lists and no Job waits for
 * the whole batch. The wait's last Job has no one left to share a read with: it is read without the spacing.
 */
const READ_SPACING_MS = 40;
const READ_GROUP_MAX = 100;
class ResultReader {
  private queue: JobResult[] = [];
  private reading: Promise<void> | undefined;
  private failure: unknown;
  private lastRead = 0;
  private last = false;
  private wake: (() => void) | undefined;

  constructor(private readonly read: (batch: JobResult[]) => Promise<void>, private readonly onResult: (r: JobResult) => void) {}

  /** `last`: no other Job of the wait is still running. */
  add(r: JobResult, last = false): void {
    this.queue.push(r);
    if (last) { this.last = true; this.wake?.(); }
    // After the current event's handler: the Jobs finishing in the same chunk of watch events share the read.
    if (!this.reading) this.reading = Promise.resolve().then(() => this.pump());
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0) {
      // Reads start at least READ_SPACING_MS apart, so Jobs finishing one by one still share reads.
      const wait = this.lastRead + READ_SPACING_MS - Date.now();
      if (wait > 0 && !this.last) {
        await new Promise<void>((r) => {
          const t = setTimeout(() => { this.wake = undefined; r(); }, wait);
          this.wake = () => { clearTimeout(t); this.wake = undefined; r(); };
        });
      }
      this.lastRead = Date.now();
      // At most READ_GROUP_MAX Jobs a read: the group's node names go into the pod list's label selector, and
      // 1,250 of them made a ~21 KB request line (HTTP 431 from the sandbox; proxies in front of API servers
      // often stop at 8 KB). The rest are read in the next rounds.
      const batch = this.queue.splice(0, READ_GROUP_MAX);
      // A group whose read failed is not reported: the wait rejects with the failure instead (the step retries).
      try {
        await this.read(batch);
        for (const r of batch) this.onResult(r);
      } catch (e) { this.failure ??= e; }
    }
    this.reading = undefined;
  }

  /** Resolves once every added Job was read and reported; rejects with the first read failure. */
  async drained(): Promise<void> {
    while (this.reading) await this.reading;
    if (this.failure) throw this.failure;
  }
}

function emptyStats(): RequestStats {
  return { requests: { get: 0, list: 0, create: 0, patch: 0, delete: 0, watch: 0, log: 0, review: 0 }, retries: 0, watchReconnects: 0, relists: 0 };
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(sortKeys(a)) === JSON.stringify(sortKeys(b));
}
function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).sort().map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]));
  return v;
}
function time(p: Obj): number {
  const t = p.metadata?.creationTimestamp;
  return t instanceof Date ? t.getTime() : typeof t === 'string' ? Date.parse(t) : 0;
}
/** Runs `fn` over `items` with at most `limit` in flight (log reads for many nodes at once). */
export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : ms >= 1000 ? `${(ms / 1000).toFixed(1)}s` : `${ms}ms`;
}

async function forEachLimit<T>(items: T[], limit: number, fn: (t: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await fn(items[next++]!);
  }));
}

/** The fields of a pod the adapter reads (toPodInfo, Job results): a kube-proxy pod's spec is most of its size. */
function slimPod(p: Obj): Obj {
  const m = p.metadata ?? {};
  return {
    metadata: {
      name: m.name, namespace: m.namespace, uid: m.uid, resourceVersion: m.resourceVersion, labels: m.labels,
      creationTimestamp: m.creationTimestamp, deletionTimestamp: m.deletionTimestamp, ownerReferences: m.ownerReferences,
    },
    spec: { nodeName: p.spec?.nodeName },
    status: p.status,
  };
}
