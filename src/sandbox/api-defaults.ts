// What the apiserver's defaulting and validation do to the objects this project writes (fixtures job/success-1-create,
// daemonset/patch-*, errors/patch-daemonset-*, errors/patch-merge-*). Not a full schema: unknown fields pass through.
import type { K8sObject, Resource } from './object-store.js';
import type { ResourceInfo } from './api-resources.js';
import { invalid } from './api-status.js';

type O = Record<string, unknown>;
const obj = (v: unknown): O => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as O) : {});
const setDefault = (o: O, k: string, v: unknown) => { if (o[k] === undefined) o[k] = v; };

function defaultContainer(c: O): void {
  setDefault(c, 'resources', {});
  setDefault(c, 'terminationMessagePath', '/dev/termination-log');
  setDefault(c, 'terminationMessagePolicy', 'File');
  const image = String(c.image ?? '');
  setDefault(c, 'imagePullPolicy', image.endsWith(':latest') || !image.includes(':') ? 'Always' : 'IfNotPresent');
}

export function defaultPodSpec(spec: O, restartPolicy = 'Always'): void {
  for (const c of [...(spec.containers as O[] ?? []), ...(spec.initContainers as O[] ?? [])]) defaultContainer(c);
  setDefault(spec, 'restartPolicy', restartPolicy);
  setDefault(spec, 'terminationGracePeriodSeconds', 30);
  setDefault(spec, 'dnsPolicy', 'ClusterFirst');
  setDefault(spec, 'securityContext', {});
  setDefault(spec, 'schedulerName', 'default-scheduler');
}

function qosClass(spec: O): string {
  const cs = (spec.containers as O[] | undefined) ?? [];
  const res = cs.map((c) => obj(c.resources));
  if (res.every((r) => !Object.keys(obj(r.requests)).length && !Object.keys(obj(r.limits)).length)) return 'BestEffort';
  const guaranteed = res.every((r) => { const l = obj(r.limits); return l.cpu !== undefined && l.memory !== undefined; });
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function defaultUpdateStrategy(spec: O): void {
  const us = obj(spec.updateStrategy);
  if (spec.updateStrategy === undefined) spec.updateStrategy = us;
  setDefault(us, 'type', 'RollingUpdate');
  if (us.type === 'RollingUpdate') {
    const ru = obj(us.rollingUpdate);
    us.rollingUpdate = ru;
    setDefault(ru, 'maxUnavailable', 1);
    setDefault(ru, 'maxSurge', 0);
  }
}

/** Defaults applied on every create and update (the apiserver defaults the decoded object each time). */
export function applyDefaults(r: Resource, o: K8sObject): void {
  const spec = obj(o.spec);
  if (r === 'daemonsets') {
    defaultUpdateStrategy(spec);
    setDefault(spec, 'revisionHistoryLimit', 10);
    defaultPodSpec(obj(obj(spec.template).spec));
  } else if (r === 'deployments' || r === 'replicasets') {
    defaultPodSpec(obj(obj(spec.template).spec));
  } else if (r === 'jobs') {
    defaultPodSpec(obj(obj(spec.template).spec), 'Never');
  } else if (r === 'pods') {
    defaultPodSpec(spec);
  }
}

/** Create-time defaults and status resets (pods start Pending, Jobs with `status: {}`; Nodes keep their status). */
export function applyCreateDefaults(r: Resource, o: K8sObject, uid: string): void {
  applyDefaults(r, o);
  const spec = obj(o.spec);
  if (r === 'pods') o.status = { phase: 'Pending', qosClass: qosClass(spec) };
  if (r === 'jobs') {
    setDefault(spec, 'parallelism', 1);
    setDefault(spec, 'completions', 1);
    setDefault(spec, 'backoffLimit', 6);
    setDefault(spec, 'completionMode', 'NonIndexed');
    setDefault(spec, 'suspend', false);
    const tmeta = obj(obj(spec.template).metadata);
    (spec.template as O).metadata = tmeta;
    setDefault(tmeta, 'creationTimestamp', null);
    tmeta.labels = { ...obj(tmeta.labels), 'batch.kubernetes.io/controller-uid': uid, 'batch.kubernetes.io/job-name': o.metadata.name,
      'controller-uid': uid, 'job-name': o.metadata.name };
    setDefault(spec, 'selector', { matchLabels: { 'batch.kubernetes.io/controller-uid': uid } });
    o.status = {};
  }
  if (r === 'daemonsets') o.status = { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 0, numberReady: 0 };
  if (r === 'deployments' || r === 'replicasets') o.status = {};
  if (r === 'namespaces') o.status = { phase: 'Active' };
}

/** Go's %#v of a map[string]string, as validation messages print it. */
const goMap = (m: Record<string, string>) => `map[string]string{${Object.keys(m).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(m[k])}`).join(', ')}}`;

const KEY_RE = /^[-._a-zA-Z0-9]+$/;
const KEY_MSG = "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')";

/** Throws a 422 like the apiserver's validation for the rules this project can trip. */
export function validate(info: ResourceInfo, o: K8sObject, old?: K8sObject): void {
  const name = o.metadata.name;
  const causes: { field: string; reason: string; message: string }[] = [];
  if (info.resource === 'configmaps') {
    for (const [k, v] of Object.entries(obj(o.data))) {
      if (!KEY_RE.test(k)) causes.push({ field: `data[${k}]`, reason: 'FieldValueInvalid', message: `Invalid value: "${k}": ${KEY_MSG}` });
      else if (typeof v !== 'string') causes.push({ field: `data[${k}]`, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(v)}: must be a string` });
    }
  }
  if (info.resource === 'daemonsets') {
    const spec = obj(o.spec);
    const us = obj(spec.updateStrategy);
    if (us.type !== 'RollingUpdate' && us.type !== 'OnDelete') {
      const c = { field: 'spec.updateStrategy', reason: 'FieldValueNotSupported',
        message: `Unsupported value: apps.DaemonSetUpdateStrategy{Type:"${String(us.type)}", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: "RollingUpdate", "OnDelete"` };
      causes.push(c, c); // the apiserver reports this cause twice (fixture errors/patch-daemonset-invalid-updateStrategy)
    } else if (us.type === 'RollingUpdate') {
      const ru = obj(us.rollingUpdate);
      const zero = (v: unknown) => v === 0 || v === '0%' || v === undefined;
      if (zero(ru.maxUnavailable) && zero(ru.maxSurge)) {
        const c = { field: 'spec.updateStrategy.rollingUpdate.maxUnavailable', reason: 'FieldValueRequired', message: 'Required value: cannot be 0 when maxSurge is 0' };
        causes.push(c, c);
      }
    }
    const sel = obj(obj(spec.selector).matchLabels) as Record<string, string>;
    const tplLabels = obj(obj(obj(spec.template).metadata).labels) as Record<string, string>;
    if (Object.entries(sel).some(([k, v]) => tplLabels[k] !== v)) {
      const c = { field: 'spec.template.metadata.labels', reason: 'FieldValueInvalid', message: `Invalid value: ${goMap(tplLabels)}: \`selector\` does not match template \`labels\`` };
      causes.push(c, c);
    }
    if (old && JSON.stringify(obj(old.spec).selector) !== JSON.stringify(spec.selector)) {
      const exprs = obj(spec.selector).matchExpressions;
      causes.push({ field: 'spec.selector', reason: 'FieldValueInvalid',
        message: `Invalid value: v1.LabelSelector{MatchLabels:${goMap(sel)}, MatchExpressions:${exprs ? JSON.stringify(exprs) : '[]v1.LabelSelectorRequirement(nil)'}}: field is immutable` });
    }
  }
  if (causes.length) throw invalid(info, name, causes);
}

/** DaemonSet update strategy: a template change raises annotation deprecated.daemonset.template.generation. */
export function prepareForUpdate(r: Resource, next: K8sObject, cur: K8sObject): void {
  if (r !== 'daemonsets') return;
  if (JSON.stringify(obj(next.spec).template) === JSON.stringify(obj(cur.spec).template)) return;
  const key = 'deprecated.daemonset.template.generation';
  const curGen = Number(cur.metadata.annotations?.[key] ?? '1');
  next.metadata.annotations = { ...(next.metadata.annotations ?? {}), [key]: String(curGen + 1) };
}
