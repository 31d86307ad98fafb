// The bot's audit hooks (/ipvs audit export|verify) over the store: export buffers one file for files.uploadV2.
import { PassThrough } from 'node:stream';
import type { Db } from '../db/client.js';
import type { Metrics } from '../metrics.js';
import { exportAudit } from './export-audit.js';
import { runTimeline } from './run-timeline.js';
import { verifyChain } from './verify-chain.js';

/** `opts.key` (config.auditKey) lets verify check retention checkpoints' signatures. */
export function auditPort(db: Db, metrics?: Metrics, opts: { key?: string } = {}) {
  return {
    async export(q: { cluster?: string; sinceMs?: number; format: 'jsonl' | 'csv' }) {
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      const r = await exportAudit(db, { format: q.format, ...(q.cluster ? { cluster: q.cluster } : {}), ...(q.sinceMs !== undefined ? { since: new Date(q.sinceMs) } : {}) }, out);
      out.end();
      const stamp = new Date().toISOString().replace(/[:.]/g, '-');
      return { filename: `ipvs-bot-audit-${q.cluster ?? 'all'}-${stamp}.${q.format}`, content: Buffer.concat(chunks), chainHead: r.head, count: r.count };
    },
    async timeline(runId: string) {
      return runTimeline(db, runId, { limit: 200 });
    },
    async verify() {
      const r = verifyChain(db, opts.key ? { key: opts.key } : {});
      metrics?.auditVerified(r.ok);
      return {
        ok: r.ok, count: r.count,
        message: (r.ok ? `Audit chain intact: ${r.count} events, head ${r.head.slice(0, 16)}…`
          : r.missingTail ? `Audit chain TRUNCATED: ${r.firstBad?.reason}` : `Audit chain BROKEN at row ${r.firstBad?.seq}: ${r.firstBad?.reason}`)
          + (r.warnings ?? []).map((w) => `\nNote: ${w}`).join(''),
      };
    },
  };
}
