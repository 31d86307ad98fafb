// Pod status objects as the kubelet (stand-in) wrote them in the fixtures: ContainerCreating → Running/Ready →
// terminated (Completed/Error, PodCompleted), plus CrashLoopBackOff for a container that keeps exiting.
import { createHash } from 'node:crypto';
import { isoNow, type Obj } from './context.js';

type Cond = { type: string; status: string; lastProbeTime: null; lastTransitionTime: string; reason?: string; message?: string };

const cond = (type: string, status: string, t: string, reason?: string, message?: string): Cond =>
  ({ type, status, lastProbeTime: null, lastTransitionTime: t, ...(reason ? { reason } : {}), ...(message ? { message } : {}) });

export function containerId(seed: string): string {
  return `containerd://${createHash('sha256').update(seed).digest('hex')}`;
}

function imageId(image: string): string {
  const repo = image.split(':')[0] ?? image;
  return `${repo}@sha256:${createHash('sha256').update(image).digest('hex')}`;
}

function scheduledAt(p: Obj, now: string): string {
  const c = ((p.status?.conditions ?? []) as Cond[]).find((x) => x.type === 'PodScheduled');
  return c?.lastTransitionTime ?? now;
}

function ips(p: Obj, nodeIP: string, podIP: string) {
  const ip = p.spec?.hostNetwork ? nodeIP : podIP;
  return { hostIP: nodeIP, podIP: ip, podIPs: [{ ip }] };
}

const containersOf = (p: Obj) => (p.spec?.containers ?? []) as { name: string; image: string }[];

/** PodScheduled only: what binding (or a kubelet for a pod with a preset nodeName) adds first. */
export function scheduledStatus(p: Obj, at: Date): Record<string, unknown> {
  return { phase: 'Pending', conditions: [cond('PodScheduled', 'True', isoNow(at))], qosClass: p.status?.qosClass ?? 'BestEffort' };
}

/** The conditions of a scheduled pod whose containers are not running yet (captured fixtures delete/, logs/). */
function pendingConditions(p: Obj, t: string): unknown[] {
  const names = containersOf(p).map((c) => c.name).join(' ');
  return [cond('Initialized', 'True', t), cond('Ready', 'False', t, 'ContainersNotReady', `containers with unready status: [${names}]`),
    cond('ContainersReady', 'False', t, 'ContainersNotReady', `containers with unready status: [${names}]`), cond('PodScheduled', 'True', scheduledAt(p, t))];
}

export function creatingStatus(p: Obj, at: Date, nodeIP: string, podIP: string): Record<string, unknown> {
  const t = isoNow(at);
  return {
    phase: 'Pending',
    conditions: pendingConditions(p, t),
    ...ips(p, nodeIP, podIP), startTime: t,
    containerStatuses: containersOf(p).map((c) => ({ name: c.name, state: { waiting: { reason: 'ContainerCreating' } }, lastState: {}, ready: false, restartCount: 0, image: c.image, imageID: '', started: false })),
    qosClass: p.status?.qosClass ?? 'BestEffort',
  };
}

export function runningStatus(p: Obj, at: Date, nodeIP: string, podIP: string, instance: number): Record<string, unknown> {
  const t = isoNow(at);
  const st = p.status ?? {};
  const initAt = ((st.conditions ?? []) as Cond[]).find((x) => x.type === 'Initialized')?.lastTransitionTime ?? t;
  return {
    phase: 'Running',
    conditions: [cond('Initialized', 'True', initAt), cond('Ready', 'True', t), cond('ContainersReady', 'True', t), cond('PodScheduled', 'True', scheduledAt(p, t))],
    ...ips(p, nodeIP, podIP), startTime: st.startTime ?? t,
    containerStatuses: containersOf(p).map((c) => {
      const prev = ((st.containerStatuses ?? []) as { name: string; lastState?: unknown; restartCount?: number }[]).find((x) => x.name === c.name);
      const id = containerId(`${p.metadata.uid ?? p.metadata.name}/${c.name}/${instance}`);
      return { name: c.name, state: { running: { startedAt: t } }, lastState: prev?.lastState ?? {}, ready: true, restartCount: prev?.restartCount ?? 0, image: c.image, imageID: imageId(c.image), containerID: id, started: true };
    }),
    qosClass: st.qosClass ?? 'BestEffort',
  };
}

/** All containers ended: Succeeded (exit 0) or Failed; `message` is the termination message. */
export function terminatedStatus(p: Obj, at: Date, exitCode: number, message: string, instance: number): Record<string, unknown> {
  const t = isoNow(at);
  const st = p.status ?? {};
  const conds = (st.conditions ?? []) as Cond[];
  const initAt = conds.find((x) => x.type === 'Initialized')?.lastTransitionTime ?? t;
  return {
    phase: exitCode === 0 ? 'Succeeded' : 'Failed',
    conditions: [cond('Initialized', 'True', initAt, 'PodCompleted'), cond('Ready', 'False', t, 'PodCompleted'), cond('ContainersReady', 'False', t, 'PodCompleted'), cond('PodScheduled', 'True', scheduledAt(p, t))],
    ...(st.hostIP ? { hostIP: st.hostIP, podIP: st.podIP, podIPs: st.podIPs } : {}), startTime: st.startTime ?? t,
    containerStatuses: containersOf(p).map((c) => {
      const prev = ((st.containerStatuses ?? []) as { name: string; state?: { running?: { startedAt?: string } }; restartCount?: number }[]).find((x) => x.name === c.name);
      const id = containerId(`${p.metadata.uid ?? p.metadata.name}/${c.name}/${instance}`);
      const terminated = { exitCode, reason: exitCode === 0 ? 'Completed' : 'Error', ...(message ? { message } : {}), startedAt: prev?.state?.running?.startedAt ?? t, finishedAt: t, containerID: id };
      return { name: c.name, state: { terminated }, lastState: {}, ready: false, restartCount: prev?.restartCount ?? 0, image: c.image, imageID: imageId(c.image), containerID: id, started: false };
    }),
    qosClass: st.qosClass ?? 'BestEffort',
  };
}

/** A restartPolicy Always container exited with an error: waiting in CrashLoopBackOff, restartCount counts up. */
export function crashLoopStatus(p: Obj, at: Date, nodeIP: string, podIP: string, restarts: number, instance: number, startedAt: string): Record<string, unknown> {
  const t = isoNow(at);
  const st = p.status ?? {};
  const names = containersOf(p).map((c) => c.name).join(' ');
  const initAt = ((st.conditions ?? []) as Cond[]).find((x) => x.type === 'Initialized')?.lastTransitionTime ?? t;
  return {
    phase: 'Running',
    conditions: [cond('Initialized', 'True', initAt), cond('Ready', 'False', t, 'ContainersNotReady', `containers with unready status: [${names}]`),
      cond('ContainersReady', 'False', t, 'ContainersNotReady', `containers with unready status: [${names}]`), cond('PodScheduled', 'True', scheduledAt(p, t))],
    ...ips(p, nodeIP, podIP), startTime: st.startTime ?? t,
    containerStatuses: containersOf(p).map((c) => {
      const id = containerId(`${p.metadata.uid ?? p.metadata.name}/${c.name}/${instance}`);
      return {
        name: c.name,
        state: { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.min(300, 10 * 2 ** Math.max(0, restarts - 1))}s restarting failed container=${c.name} pod=${p.metadata.name}_${p.metadata.namespace}(${p.metadata.uid})` } },
        lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt, finishedAt: t, containerID: id } },
        ready: false, restartCount: restarts, image: c.image, imageID: imageId(c.image), containerID: id, started: false,
      };
    }),
    qosClass: st.qosClass ?? 'BestEffort',
  };
}

/**
 * A container whose image cannot be pulled (pod stays Pending): ErrImagePull, then ImagePullBackOff, as the kubelet
 * reports it (pkg/kubelet/images/image_manager.go: ErrImagePull carries the runtime's error, the back-off "Back-off
 * pulling image \"…\"").
 */
export function imagePullStatus(p: Obj, at: Date, nodeIP: string, reason: 'ErrImagePull' | 'ImagePullBackOff'): Record<string, unknown> {
  const t = isoNow(at);
  return {
    phase: 'Pending',
    conditions: pendingConditions(p, t),
    hostIP: nodeIP, startTime: p.status?.startTime ?? t,
    containerStatuses: containersOf(p).map((c) => ({
      name: c.name, state: { waiting: { reason, message: reason === 'ErrImagePull' ? windowsPullError(c.image) : `Back-off pulling image "${c.image}"` } },
      lastState: {}, ready: false, restartCount: 0, image: c.image, imageID: '', started: false,
    })),
    qosClass: p.status?.qosClass ?? 'BestEffort',
  };
}

/** containerd on a Windows node pulling a Linux-only image: no manifest for windows/amd64 in the index. */
export function windowsPullError(image: string): string {
  const ref = image.includes('/') ? (image.split('/')[0]?.includes('.') ? image : `docker.io/${image}`) : `docker.io/library/${image}`;
  return `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": no match for platform in manifest: not found`;
}
