// metav1.Status bodies exactly as kube-apiserver 1.28 writes them (fixtures errors/*, authz/*), and response helpers.
import type { ServerResponse } from 'node:http';
import type { ResourceInfo } from './api-resources.js';

export type StatusBody = {
  kind: 'Status'; apiVersion: 'v1'; metadata: Record<string, never>; status: 'Failure' | 'Success'; message?: string;
  reason?: string; details?: Record<string, unknown>; code?: number;
};

/** Thrown by handlers; the server turns it into a Status response. */
export class ApiError extends Error {
  constructor(readonly code: number, readonly reason: string, message: string, readonly details?: Record<string, unknown>) {
    super(message);
  }
  body(): StatusBody {
    return { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: this.message, reason: this.reason,
      ...(this.details ? { details: this.details } : {}), code: this.code };
  }
}

/** `daemonsets.apps` / `configmaps`: how the apiserver names a resource in messages. */
export const qualified = (i: ResourceInfo) => (i.group ? `${i.resource}.${i.group}` : i.resource);
const details = (i: ResourceInfo, name?: string) => ({ ...(name !== undefined ? { name } : {}), ...(i.group ? { group: i.group } : {}), kind: i.resource });

export const notFound = (i: ResourceInfo, name: string) => new ApiError(404, 'NotFound', `${qualified(i)} "${name}" not found`, details(i, name));
export const alreadyExists = (i: ResourceInfo, name: string) => new ApiError(409, 'AlreadyExists', `${qualified(i)} "${name}" already exists`, details(i, name));
export const conflict = (i: ResourceInfo, name: string) => new ApiError(409, 'Conflict',
  `Operation cannot be fulfilled on ${qualified(i)} "${name}": the object has been modified; please apply your changes to the latest version and try again`, details(i, name));
export const badRequest = (message: string) => new ApiError(400, 'BadRequest', message);
export const genericInvalid = () => new ApiError(422, 'Invalid', 'the server rejected our request due to an error in our request', {});
export const unsupportedMedia = () => new ApiError(415, 'UnsupportedMediaType', '415: Unsupported Media Type', {});
export const unauthorized = () => new ApiError(401, 'Unauthorized', 'Unauthorized');
export const methodNotAllowed = () => new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource', {});
export const internalError = (message = 'Internal error occurred: injected fault') => new ApiError(500, 'InternalError', message, { causes: [{ message }] });

/** 422 with field causes, like validation failures: `<Kind.group> "<name>" is invalid: <field>: <msg>`. */
export function invalid(i: ResourceInfo, name: string, causes: { field: string; reason: string; message: string }[]): ApiError {
  const kind = i.group ? `${i.kind}.${i.group}` : i.kind;
  const text = [...new Set(causes.map((c) => `${c.field}: ${c.message}`))]; // Go's aggregate drops duplicate messages
  const msg = `${kind} "${name}" is invalid: ${text.length === 1 ? text[0] : `[${text.join(', ')}]`}`;
  return new ApiError(422, 'Invalid', msg, { name, ...(i.group ? { group: i.group } : {}), kind: i.kind, causes });
}

export function forbidden(user: string, verb: string, i: { resource: string; group: string }, ns: string | undefined, name: string | undefined, sub?: string): ApiError {
  const res = sub ? `${i.resource}/${sub}` : i.resource;
  const qual = i.group ? `${i.resource}.${i.group}` : i.resource;
  const subject = name ? `${qual} "${name}"` : qual;
  const scope = ns ? `in the namespace "${ns}"` : 'at the cluster scope';
  return new ApiError(403, 'Forbidden', `${subject} is forbidden: User "${user}" cannot ${verb} resource "${res}" in API group "${i.group}" ${scope}`,
    { ...(name ? { name } : {}), ...(i.group ? { group: i.group } : {}), kind: i.resource });
}

export const successStatus = (i: ResourceInfo, name: string, uid: string | undefined): StatusBody => ({
  kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: { ...details(i, name), ...(uid ? { uid } : {}) },
});

export function sendJson(res: ServerResponse, code: number, body: unknown, contentType = 'application/json'): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(code, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

export function sendText(res: ServerResponse, code: number, text: string): void {
  res.writeHead(code, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}
