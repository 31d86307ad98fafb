// List, then watch from the list's resourceVersion until `handle` returns a result or time runs out. A watch that
// ends is resumed from the last resourceVersion seen (bookmarks included); 410 Gone means re-list. The transport
// (client-node's Watch) is injected by K8sCluster, so this file stays free of the SDK.
import { toK8sError } from './errors.js';
import { backoffDelay, type RetryPolicy } from './retry.js';

type Obj = any; // eslint-disable-line @typescript-eslint/no-explicit-any

export interface WatchEnd { expired?: boolean; error?: unknown }

export interface WatchDeps {
  list: () => Promise<{ items: unknown[]; metadata?: { resourceVersion?: string } }>;
  /** One watch connection; `onEvent` returns true to stop; resolves when the connection ends or `cancel` resolves. */
  open: (query: Record<string, string>, onEvent: (type: string, obj: Obj) => boolean, cancel: Promise<void>) => Promise<WatchEnd>;
  retry: RetryPolicy;
  maxConnectionSeconds: number;
  onRelist: () => void;
  onReconnect: () => void;
}

export interface WatchSpec<R> {
  what: string;
  query: Record<string, string>;
  timeoutMs: number;
  /** Called for every listed object ('ADDED'), once after each list ('LISTED', obj undefined), and per event. */
  handle: (type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'LISTED', obj: Obj, marker?: 'listed') => R | undefined;
  resetOnList?: () => void;
}

/** Resolves with the first result of `handle`, or undefined when `timeoutMs` passed. */
export async function watchUntil<R>(deps: WatchDeps, w: WatchSpec<R>): Promise<R | undefined> {
  const deadline = Date.now() + w.timeoutMs;
  let rv: string | undefined;
  let needList = true;
  let failures = 0;
  let result: R | undefined;
  let finished = false;
  let stop: () => void = () => {};
  const timedOut = new Promise<void>((resolve) => {
    const t = setTimeout(resolve, Math.max(0, w.timeoutMs));
    stop = () => { clearTimeout(t); resolve(); };
  }).then(() => { finished = true; });
  try {
    while (!finished) {
      if (needList) {
        const l = await deps.list();
        w.resetOnList?.();
        rv = l.metadata?.resourceVersion;
        needList = false;
        for (const o of l.items) {
          const r = w.handle('ADDED', o);
          if (r !== undefined) return r;
        }
        const r = w.handle('LISTED', undefined, 'listed');
        if (r !== undefined) return r;
      }
      const remaining = Math.ceil((deadline - Date.now()) / 1000);
      if (remaining <= 0) return undefined;
      const started = Date.now();
      let events = 0;
      const outcome = await deps.open({
        ...w.query, allowWatchBookmarks: 'true', timeoutSeconds: String(Math.min(remaining, deps.maxConnectionSeconds)),
        ...(rv ? { resourceVersion: rv } : {}),
      }, (type, o) => {
        events++;
        if (o?.metadata?.resourceVersion) rv = o.metadata.resourceVersion;
        if (type !== 'ADDED' && type !== 'MODIFIED' && type !== 'DELETED') return false; // BOOKMARK: only the rv
        const r = w.handle(type, o);
        if (r !== undefined) { result = r; return true; }
        return false;
      }, timedOut);
      if (result !== undefined) return result;
      if (finished) return undefined;
      if (outcome.expired) { deps.onRelist(); needList = true; continue; }
      deps.onReconnect();
      if (outcome.error) {
        const err = toK8sError(outcome.error, `watch ${w.what}`);
        if (!err.retryable) throw err;
      }
      // A connection that ended at once without events (error or not) must not turn into a hot reconnect loop.
      if (outcome.error || (events === 0 && Date.now() - started < 1000)) {
        failures++;
        await Promise.race([sleep(Math.max(50, backoffDelay(deps.retry, Math.min(failures, 6)))), timedOut]);
      } else failures = 0;
    }
    return undefined;
  } finally {
    stop();
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
