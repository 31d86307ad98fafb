// gate:i, before each batch's restart (and gate:start before a migration's first change): the run goes on only
// inside the cluster's maintenance window and while no blocking alert fires. A closed gate is a retry wait stored
// on the run (wake_at), so the wait survives a restart, a cancel acts at once, and the card says why it waits.
import { StepError } from '../../engine/errors.js';
import type { Step } from '../steps/step-types.js';
import { isReportOnly } from '../check-outcome.js';
import { firingAlerts } from './alertmanager.js';
import { describeInstant, isOpen, nextOpening } from './window.js';

export const PAUSED_PREFIX = 'paused: ';

export function gateStep(index: number | 'start', recheckMs: number): Step {
  return {
    id: `gate:${index}`,
    // Rechecks for as long as the gate stays closed; every recheck is audited as step.retry_scheduled with the reason.
    retry: { max: Number.MAX_SAFE_INTEGER, baseMs: recheckMs, maxMs: recheckMs },
    async run(ctx) {
      const g = ctx.deps.gates;
      const now = ctx.clock.now();
      // A rollback is how an operator gets out of trouble: never held back by a window or a firing alert.
      if (!g || ctx.kind === 'rollback') return { open: true, atMs: now, waitedChecks: 0 };
      const count = (gate: string, outcome: string) => g.metrics?.gateOutcome(ctx.cluster, gate, outcome);
      const closed: string[] = [];
      const reported: string[] = [];
      if (g.window) {
        if (isOpen(g.window, now)) count('window', 'open');
        else {
          count('window', 'closed');
          const opens = nextOpening(g.window, now);
          closed.push(`outside the maintenance window${opens === undefined ? '' : `, opens ${describeInstant(opens, g.window.timeZone)}`}`);
        }
      }
      if (g.alertmanager && g.alertmanager.block.length > 0) {
        const why: string[] = [];
        for (const sel of g.alertmanager.block) {
          const firing = await firingAlerts(g.alertmanager.url, sel.matchers, ctx.signal);
          if (typeof firing === 'string') why.push(`cannot tell whether blocking alerts fire (${firing})`);
          else if (firing.length > 0) {
            const names = [...new Set(firing.map((a) => a.labels['alertname'] ?? '?'))].slice(0, 3).join(', ');
            why.push(`blocking alert ${names} firing (${firing.length} matching ${sel.text})`);
          }
        }
        count('alerts', why.length ? 'blocked' : 'clear');
        if (why.length && isReportOnly(g, 'alerts')) reported.push(...why.map((w) => `${w} (report-only)`));
        else closed.push(...why);
      }
      if (closed.length > 0) {
        const text = `${PAUSED_PREFIX}${closed.join('; ')}`;
        if (ctx.attempt === 1) ctx.log(`Run paused before ${index === 'start' ? 'its first change' : `batch ${index}`}: ${closed.join('; ')}.`);
        ctx.logger.info({ gate: `gate:${index}`, attempt: ctx.attempt, reasons: closed }, 'gate closed; waiting');
        throw new StepError('retryable', text);
      }
      if (ctx.attempt > 1) ctx.log(`Gate open again; ${index === 'start' ? 'the run starts' : `batch ${index} starts`}.`);
      for (const r of reported) ctx.log(`Gate before batch ${index}: ${r}.`);
      return { open: true, atMs: now, waitedChecks: ctx.attempt - 1, ...(reported.length ? { reported } : {}) };
    },
  };
}
