// A run's history read back from the audit events, for `/ipvs status <run-id>` and `ipvs-bot status`: one line
// per event in chain order, with a short summary built from the payload's telling fields.
import type { Db } from '../db/client.js';

export interface TimelineEntry { seq: number; ts: string; actor: string; type: string; summary: string }

// Fields worth a glance, in display order; anything else stays in the export.
const FIELDS = ['step', 'node', 'attempt', 'decision', 'reason', 'error', 'cause', 'code', 'count', 'required', 'digest', 'from', 'to', 'state', 'delayMs', 'observed'];
const MAX = 200;

function scalar(v: unknown): string | undefined {
  if (typeof v === 'string') return v.length > 80 ? `${v.slice(0, 79)}…` : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return undefined;
}

/** Pure: a one-line summary of an event's payload (canonical JSON text or object). */
export function summarizeEvent(payload: string | Record<string, unknown>): string {
  let p: Record<string, unknown>;
  try {
    p = typeof payload === 'string' ? (JSON.parse(payload) as Record<string, unknown>) : payload;
  } catch {
    return '';
  }
  if (!p || typeof p !== 'object') return '';
  const parts: string[] = [];
  for (const k of FIELDS) {
    const v = k === 'digest' && typeof p[k] === 'string' ? (p[k] as string).slice(0, 12) : scalar(p[k]);
    if (v !== undefined) parts.push(`${k}=${v}`);
  }
  // Step results carry the node's verdict one level down.
  const result = p.result;
  if (result && typeof result === 'object' && !Array.isArray(result)) {
    for (const k of ['node', 'ok', 'proxyMode']) {
      const v = scalar((result as Record<string, unknown>)[k]);
      if (v !== undefined && !parts.some((x) => x.startsWith(`${k}=`))) parts.push(`${k}=${v}`);
    }
  }
  const s = parts.join(' ');
  return s.length > MAX ? `${s.slice(0, MAX - 1)}…` : s;
}

/** The run's events in chain order (at most `limit`, the most recent ones when there are more). */
export function runTimeline(db: Db, runId: string, opts: { limit?: number } = {}): TimelineEntry[] {
  const limit = Math.max(1, Math.min(opts.limit ?? 500, 10_000));
  const rows = db.$client.prepare(
    'SELECT * FROM (SELECT seq, ts, actor, type, payload FROM audit_events WHERE run_id = ? ORDER BY seq DESC LIMIT ?) ORDER BY seq',
  ).all(runId, limit) as Array<{ seq: number; ts: string; actor: string; type: string; payload: string }>;
  return rows.map((r) => ({ seq: r.seq, ts: r.ts, actor: r.actor, type: r.type, summary: summarizeEvent(r.payload) }));
}
