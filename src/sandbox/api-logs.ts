// GET pods/{name}/log: the apiserver's own validation and answers (fixtures logs/*), text from the PodLogSource.
import type { ServerResponse } from 'node:http';
import type { ObjectStore } from './object-store.js';
import { infoOf } from './api-resources.js';
import { ApiError, badRequest, notFound } from './api-status.js';

export type PodLogSource = (ns: string, pod: string, container: string, opts: { previous?: boolean; tailLines?: number }) =>
  string | { error: string; status: number };

type O = Record<string, unknown>;

function logOptionInvalid(pod: string, field: string, value: number, must: string): ApiError {
  const message = `Invalid value: ${value}: ${must}`;
  return new ApiError(422, 'Invalid', `PodLogOptions "${pod}" is invalid: ${field}: ${message}`,
    { name: pod, kind: 'PodLogOptions', causes: [{ reason: 'FieldValueInvalid', message, field }] });
}

function intParam(q: URLSearchParams, k: string): number | undefined {
  const v = q.get(k);
  if (v === null) return undefined;
  if (!/^-?\d+$/.test(v)) throw badRequest(`strconv.ParseInt: parsing "${v}": invalid syntax`);
  return Number(v);
}

export function serveLog(store: ObjectStore, logs: PodLogSource, res: ServerResponse, ns: string, name: string, q: URLSearchParams): void {
  const pod = store.peek('pods', ns, name);
  if (!pod) throw notFound(infoOf('pods'), name);
  const tailLines = intParam(q, 'tailLines');
  const limitBytes = intParam(q, 'limitBytes');
  if (tailLines !== undefined && tailLines < 0) throw logOptionInvalid(name, 'tailLines', tailLines, 'must be greater than or equal to 0');
  if (limitBytes !== undefined && limitBytes < 1) throw logOptionInvalid(name, 'limitBytes', limitBytes, 'must be greater than 0');
  const spec = (pod.spec ?? {}) as O;
  const containers = ((spec.containers as O[] | undefined) ?? []).map((c) => String(c.name));
  const all = [...containers, ...((spec.initContainers as O[] | undefined) ?? []).map((c) => String(c.name))];
  let container = q.get('container') ?? undefined;
  if (!container) {
    if (containers.length !== 1) throw badRequest(`a container name must be specified for pod ${name}, choose one of: [${containers.join(' ')}]`);
    container = containers[0]!;
  }
  if (!all.includes(container)) throw badRequest(`container ${container} is not valid for pod ${name}`);
  if (!spec.nodeName) { res.writeHead(204); res.end(); return; }
  const previous = q.get('previous') === 'true' || q.get('previous') === '1';
  const out = logs(ns, name, container, { ...(previous ? { previous } : {}), ...(tailLines !== undefined ? { tailLines } : {}) });
  if (typeof out !== 'string') {
    if (out.status === 404) throw notFound(infoOf('pods'), name);
    throw new ApiError(out.status >= 400 && out.status < 600 && out.status !== 500 ? 400 : 500, out.status === 500 ? 'InternalError' : 'BadRequest', out.error);
  }
  let text = out;
  if (q.get('timestamps') === 'true') {
    const base = Date.parse(String((pod.metadata.creationTimestamp ?? new Date().toISOString())));
    text = text.split('\n').map((l, i) => (l ? `${new Date(base + i).toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z')} ${l}` : l)).join('\n');
  }
  if (limitBytes !== undefined) text = Buffer.from(text).subarray(0, limitBytes).toString();
  res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
