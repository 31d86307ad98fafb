// Job controller (v1.28, fixtures job/*) with the TTL-after-finished controller and the garbage collector's part
// for Jobs: one pod at a time, pod-failure back-off, backoffLimit, activeDeadlineSeconds, status passing through
// uncountedTerminatedPods, job-tracking finalizers, foreground/orphan/background deletion.
import type { WatchEvent } from '../object-store.js';
import { type ClusterContext, type Obj, deletePod, finalDelete, isDeleting, isReady, isTerminal, isoNow, randomSuffix } from './context.js';
import type { Informer } from './informer.js';

const TRACKING = 'batch.kubernetes.io/job-tracking';

interface JobRun { counted: Set<string>; failed: number; succeeded: number; finished: boolean; timers: (() => void)[]; creating?: boolean }

export class JobController {
  private readonly runs = new Map<string, JobRun>();

  constructor(private readonly ctx: ClusterContext, private readonly jobs: Informer, private readonly pods: Informer) {}

  start(): void {
    this.jobs.onEvent((e) => this.onJob(e));
    this.pods.onEvent((e) => this.onPod(e));
  }

  private run(uid: string): JobRun {
    let r = this.runs.get(uid);
    if (!r) { r = { counted: new Set(), failed: 0, succeeded: 0, finished: false, timers: [] }; this.runs.set(uid, r); }
    return r;
  }

  private later(r: JobRun, ms: number, fn: () => void): void {
    r.timers.push(this.ctx.timers.after(ms, () => { if (!this.ctx.stopped) fn(); }));
  }

  private onJob(e: WatchEvent): void {
    const job = e.object as Obj;
    const uid = job.metadata.uid as string;
    if (e.type === 'DELETED') {
      for (const t of this.runs.get(uid)?.timers ?? []) t();
      this.runs.delete(uid);
      for (const p of this.pods.ownedBy(uid)) this.releaseAndDelete(p as Obj); // background propagation
      return;
    }
    if (isDeleting(job)) { this.collect(job); return; }
    if (e.type === 'ADDED' && !job.status?.startTime && !this.runs.has(uid)) {
      const r = this.run(uid);
      this.ctx.timers.after(0, () => {
        if (this.ctx.stopped || !this.jobs.get(job.metadata.namespace, job.metadata.name)) return;
        this.createPod(job);
        this.writeStatus(job, { startTime: isoNow(this.ctx.now()), active: 1, ready: 0 });
        const deadline = Number(job.spec?.activeDeadlineSeconds ?? 0);
        if (deadline > 0) this.later(r, deadline * 1000 * this.ctx.opts.timeScale, () => this.deadlineExceeded(job.metadata.namespace, job.metadata.name, uid));
      });
    }
  }

  private createPod(job: Obj): void {
    const tpl = structuredClone(job.spec.template) as { metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> }; spec: Record<string, unknown> };
    const uid = job.metadata.uid as string;
    const name = job.metadata.name;
    const labels = { ...(tpl.metadata?.labels ?? {}), 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': name, 'controller-uid': uid, 'job-name': name };
    this.ctx.store.create('pods', {
      apiVersion: 'v1', kind: 'Pod',
      metadata: {
        name: `${name}-${randomSuffix(this.ctx.rng)}`, generateName: `${name}-`, namespace: job.metadata.namespace, labels,
        annotations: { ...(tpl.metadata?.annotations ?? {}), 'batch.kubernetes.io/job-tracking': '' },
        ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name, uid, controller: true, blockOwnerDeletion: true }],
        finalizers: [TRACKING],
      },
      spec: { ...tpl.spec },
      status: { phase: 'Pending', qosClass: 'BestEffort' },
    });
  }

  /** Status in the field order the API server serializes, zero counts omitted, uncountedTerminatedPods + ready always. */
  private writeStatus(job: Obj, s: { conditions?: unknown[]; startTime?: string; completionTime?: string; active?: number; succeeded?: number; failed?: number; uncounted?: Record<string, string[]>; ready?: number }): void {
    this.ctx.store.mutate('jobs', job.metadata.namespace, job.metadata.name, (o) => {
      const cur = (o.status ?? {}) as Record<string, unknown>;
      const next: Record<string, unknown> = {};
      const conditions = s.conditions ?? cur.conditions;
      if (conditions) next.conditions = conditions;
      const start = s.startTime ?? cur.startTime;
      if (start) next.startTime = start;
      if (s.completionTime) next.completionTime = s.completionTime;
      if (s.active) next.active = s.active;
      if (s.succeeded) next.succeeded = s.succeeded;
      if (s.failed) next.failed = s.failed;
      next.uncountedTerminatedPods = s.uncounted ?? {};
      next.ready = s.ready ?? cur.ready ?? 0;
      o.status = next;
    }, { status: true });
  }

  private onPod(e: WatchEvent): void {
    const p = e.object as Obj;
    const ref = ((p.metadata.ownerReferences ?? []) as { kind: string; uid: string; controller?: boolean }[]).find((x) => x.kind === 'Job' && x.controller);
    if (!ref) return;
    const job = this.jobs.getByUid(ref.uid) as Obj | undefined;
    if (!job) { if (e.type !== 'DELETED') this.releaseAndDelete(p); return; }
    if (isDeleting(job)) { this.collect(job); return; }
    if (e.type === 'DELETED') return;
    const r = this.run(ref.uid);
    if (r.finished) { if (isTerminal(p)) this.release(p); return; }
    const podUid = p.metadata.uid as string;
    if (r.counted.has(podUid)) return;
    if (!isTerminal(p)) {
      const ready = isReady(p) ? 1 : 0;
      if ((job.status?.ready ?? 0) !== ready) this.writeStatus(job, { active: 1, succeeded: r.succeeded, failed: r.failed, ready });
      return;
    }
    r.counted.add(podUid);
    const ok = p.status?.phase === 'Succeeded';
    this.writeStatus(job, { succeeded: r.succeeded, failed: r.failed, uncounted: { [ok ? 'succeeded' : 'failed']: [podUid] }, ready: 0 });
    this.release(p);
    const t = isoNow(this.ctx.now());
    if (ok) {
      r.succeeded++;
      r.finished = true;
      this.writeStatus(job, { conditions: [{ type: 'Complete', status: 'True', lastProbeTime: t, lastTransitionTime: t }], completionTime: t, succeeded: r.succeeded, failed: r.failed, ready: 0 });
      this.scheduleTtl(job, r);
      return;
    }
    r.failed++;
    const limit = Number(job.spec?.backoffLimit ?? 6);
    if (r.failed > limit) {
      r.finished = true;
      this.writeStatus(job, { conditions: [{ type: 'Failed', status: 'True', lastProbeTime: t, lastTransitionTime: t, reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' }], succeeded: r.succeeded, failed: r.failed, ready: 0 });
      this.scheduleTtl(job, r);
      return;
    }
    this.writeStatus(job, { failed: r.failed, ready: 0 });
    this.later(r, this.ctx.opts.jobBackoffMs, () => {
      const cur = this.jobs.get(job.metadata.namespace, job.metadata.name) as Obj | undefined;
      if (!cur || r.finished || isDeleting(cur)) return;
      this.createPod(cur);
      this.writeStatus(cur, { active: 1, failed: r.failed, ready: 0 });
    });
  }

  private deadlineExceeded(ns: string | undefined, name: string, uid: string): void {
    const job = this.jobs.get(ns, name) as Obj | undefined;
    const r = this.runs.get(uid);
    if (!job || job.metadata.uid !== uid || !r || r.finished) return;
    r.finished = true;
    const active = this.pods.ownedBy(uid).filter((p) => !isTerminal(p as Obj) && !r.counted.has(p.metadata.uid as string)) as Obj[];
    const ready = job.status?.ready ?? 0;
    for (const p of active) { r.counted.add(p.metadata.uid as string); deletePod(this.ctx, p); }
    if (active.length) this.writeStatus(job, { succeeded: r.succeeded, failed: r.failed, uncounted: { failed: active.map((p) => p.metadata.uid as string) }, ready });
    for (const p of active) this.release(p);
    r.failed += active.length;
    const t = isoNow(this.ctx.now());
    this.writeStatus(job, { conditions: [{ type: 'Failed', status: 'True', lastProbeTime: t, lastTransitionTime: t, reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' }], succeeded: r.succeeded, failed: r.failed, ready });
    this.scheduleTtl(job, r);
  }

  private scheduleTtl(job: Obj, r: JobRun): void {
    const ttl = job.spec?.ttlSecondsAfterFinished;
    if (typeof ttl !== 'number') return;
    this.later(r, ttl * 1000 * this.ctx.opts.timeScale, () => {
      const cur = this.jobs.get(job.metadata.namespace, job.metadata.name);
      if (!cur || cur.metadata.uid !== job.metadata.uid || isDeleting(cur)) return;
      // The TTL-after-finished controller deletes with foreground propagation.
      this.ctx.store.mutate('jobs', cur.metadata.namespace, cur.metadata.name, (o) => {
        o.metadata.finalizers = ['foregroundDeletion'];
        o.metadata.deletionTimestamp = isoNow(this.ctx.now());
        o.metadata.deletionGracePeriodSeconds = 0;
      });
    });
  }

  /** Removes the job-tracking finalizer once the pod is counted (a pod that is being deleted then goes). */
  private release(p: Obj): void {
    const cur = this.ctx.store.get('pods', p.metadata.namespace, p.metadata.name) as Obj | undefined;
    if (!cur || cur.metadata.uid !== p.metadata.uid) return;
    const fin = (cur.metadata.finalizers ?? []) as string[];
    if (!fin.includes(TRACKING)) return;
    const updated = this.ctx.store.mutate('pods', cur.metadata.namespace, cur.metadata.name, (o) => {
      const rest = ((o.metadata.finalizers ?? []) as string[]).filter((f) => f !== TRACKING);
      if (rest.length) o.metadata.finalizers = rest; else delete o.metadata.finalizers;
    }) as Obj | undefined;
    if (updated && isDeleting(updated) && updated.metadata.deletionGracePeriodSeconds === 0) finalDelete(this.ctx, updated);
  }

  private releaseAndDelete(p: Obj): void {
    this.release(p);
    const cur = this.ctx.store.get('pods', p.metadata.namespace, p.metadata.name) as Obj | undefined;
    if (cur && cur.metadata.uid === p.metadata.uid) deletePod(this.ctx, cur);
  }

  /** Garbage collector for a Job with a deletionTimestamp: orphan or foreground. */
  private collect(job: Obj): void {
    const fin = (job.metadata.finalizers ?? []) as string[];
    const uid = job.metadata.uid as string;
    const pods = this.pods.ownedBy(uid) as Obj[];
    const removeFinalizer = (f: string) => {
      const left = fin.filter((x) => x !== f);
      if (left.length === 0) this.ctx.store.delete('jobs', job.metadata.namespace, job.metadata.name, { uid });
      else this.ctx.store.mutate('jobs', job.metadata.namespace, job.metadata.name, (o) => { o.metadata.finalizers = left; });
    };
    if (fin.includes('orphan')) {
      for (const p of pods) {
        this.release(p);
        this.ctx.store.mutate('pods', p.metadata.namespace, p.metadata.name, (o) => { delete o.metadata.ownerReferences; });
      }
      removeFinalizer('orphan');
    } else if (fin.includes('foregroundDeletion')) {
      if (pods.length === 0) { removeFinalizer('foregroundDeletion'); return; }
      for (const p of pods) this.releaseAndDelete(p);
    }
  }
}
