import { readFileSync } from 'node:fs';
import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { K8sError, toK8sError } from '../../src/k8s/errors.js';

type Captured = { status: number; body: unknown };
const captured = JSON.parse(readFileSync(new URL('../fixtures/k8s/status-errors.json', import.meta.url), 'utf8')) as Record<string, Captured>;
// client-node 1.4 throws ApiException with the raw response text as body (undefined for 401).
const apiEx = (c: Captured) => new ApiException(c.status, 'Unknown API Status Code!', c.status === 401 ? undefined : JSON.stringify(c.body), { 'content-type': 'application/json' });

describe('src/k8s/errors', () => {
  it('maps real v1.28 Status bodies to kinds with the server message and reason', () => {
    const conflict = toK8sError(apiEx(captured.conflict!));
    expect(conflict).toBeInstanceOf(K8sError);
    expect([conflict.kind, conflict.status, conflict.reason, conflict.retryable]).toEqual(['Conflict', 409, 'Conflict', false]);
    expect(conflict.message).toMatch(/the object has been modified/);
    expect(conflict.alreadyExists).toBe(false);

    const exists = toK8sError(apiEx(captured.alreadyExists!));
    expect([exists.kind, exists.alreadyExists, exists.retryable]).toEqual(['Conflict', true, false]);
    expect(toK8sError(apiEx(captured.forbidden!)).kind).toBe('Forbidden');
    expect(toK8sError(apiEx(captured.notFound!)).kind).toBe('NotFound');
    expect(toK8sError(apiEx(captured.invalid!)).kind).toBe('Invalid');
    const unauthorized = toK8sError(apiEx(captured.unauthorized!));
    expect([unauthorized.kind, unauthorized.retryable]).toEqual(['Unauthorized', false]);
  });

  it('retries only 429, 5xx, timeouts and connection failures', () => {
    const retryable = (code: number) => toK8sError(new ApiException(code, 'x', '{"kind":"Status","message":"m"}', {})).retryable;
    expect([429, 500, 502, 503, 504].map(retryable)).toEqual([true, true, true, true, true]);
    expect([400, 401, 403, 404, 409, 422].map(retryable)).toEqual([false, false, false, false, false, false]);
    const refused = Object.assign(new Error('request to https://10.0.0.1:6443/api failed, reason: connect ECONNREFUSED'), { name: 'FetchError', code: 'ECONNREFUSED', type: 'system' });
    expect(toK8sError(refused)).toMatchObject({ kind: 'Transient', retryable: true, reason: 'ECONNREFUSED', status: 0 });
    const abort = Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' });
    expect(toK8sError(abort)).toMatchObject({ kind: 'Timeout', retryable: true });
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    expect(toK8sError(reset)).toMatchObject({ kind: 'Transient', retryable: true });
    expect(toK8sError(new TypeError('x is not a function'))).toMatchObject({ kind: 'Unknown', retryable: false });
  });

  it('reads Retry-After, keeps the cause, and never carries a bearer token in the message', () => {
    const e = toK8sError(new ApiException(429, 'x', 'Too many requests, Authorization: Bearer abc.def.ghi', { 'retry-after': '2' }), 'list nodes');
    expect(e.retryAfterSeconds).toBe(2);
    expect(e.message).toMatch(/^list nodes: /);
    expect(e.message).not.toContain('abc.def.ghi');
    expect(e.cause).toBeInstanceOf(ApiException);
  });
});
