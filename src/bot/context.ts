// What every listener gets: config, the Workflows API, the notifier, approver checks, audit, logger.
import type { ClusterConfig, Config } from '../config.js';
import type { Workflows } from '../workflows/kube-proxy-mode/api.js';
import type { Clock, Logger } from '../workflows/engine/ports.js';
import type { Approvers } from './authz.js';
import type { SlackNotifier } from './slack-notifier.js';
import type { Fleet } from '../workflows/fleet/fleet-service.js';
import type { FleetCards } from './fleet-cards.js';

export interface AuditEventInput { actor: string; cluster?: string; runId?: string; type: string; payload: Record<string, unknown> }

/** Audit hooks; src/db/audit-store.ts (recordAudit) and src/audit (export/verify) are wired in by main.ts. */
export interface AuditPort {
  record?(e: AuditEventInput): void | Promise<void>;
  /** `sinceMs`: the earliest event's time (epoch ms), not a duration. */
  export?(q: { cluster?: string; sinceMs?: number; format: 'jsonl' | 'csv' }): Promise<{ filename: string; content: string | Buffer; chainHead: string; count: number }>;
  verify?(): Promise<{ ok: boolean; count: number; message: string }>;
  /** A run's history from the audit events, oldest first (for `/ipvs status <run-id>`). */
  timeline?(runId: string): Promise<Array<{ ts: string; actor: string; type: string; summary: string }>>;
}

export interface BotContext {
  config: Config;
  workflows: Workflows;
  notifier: SlackNotifier;
  approvers: Approvers;
  logger: Logger;
  clock: Clock;
  audit?: AuditPort;
  /** Fleet view and waves (issue #13); absent in bots built without a DB (unit harness). */
  fleet?: { service: Fleet; cards: FleetCards };
  cluster(name: string): ClusterConfig | undefined;
}

export async function recordAudit(ctx: BotContext, e: AuditEventInput): Promise<void> {
  try {
    await ctx.audit?.record?.(e);
  } catch (err) {
    ctx.logger.error({ err: String(err), type: e.type, runId: e.runId }, 'audit record failed');
  }
}
