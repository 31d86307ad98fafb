// slo:i, after each batch verified: every Prometheus check over the batch's window (gate:i's opening to now).
// pass → on; fail → StepError('fatal'), the run rolls back; inconclusive → StepError('inconclusive'), an operator
// decides (contract A). Report-only checks (`prometheus:<name>`) are shown and audited, never acted on.
import { StepError } from '../../engine/errors.js';
import { isReportOnly, type CheckResult } from '../check-outcome.js';
import type { Step } from '../steps/step-types.js';
import { judge, queryRange } from './prometheus.js';

const EMOJI = { pass: ':white_check_mark:', fail: ':x:', inconclusive: ':grey_question:' } as const;

export function sloText(index: number, results: CheckResult[], reportOnly: readonly string[]): string {
  return `SLO checks after ${index === 0 ? 'the canary' : `batch ${index}`}: ${results.map((r) =>
    `${EMOJI[r.outcome]} ${r.name} ${r.outcome}${isReportOnly({ reportOnly }, r.name) ? ' (report-only)' : ''} (${r.detail})`).join('; ')}`;
}

export function sloStep(index: number): Step {
  return {
    id: `slo:${index}`,
    async run(ctx) {
      const p = ctx.deps.gates?.prometheus;
      if (!p || ctx.kind === 'rollback') return { batch: index, checks: [] };
      const end = ctx.clock.now();
      const opened = ctx.results(`gate:${index}`) as { atMs?: number } | undefined;
      const start = Math.min(end, typeof opened?.atMs === 'number' ? opened.atMs : end - 60_000);
      const results = await Promise.all(p.checks.map(async (c) => judge(c, await queryRange(p.url, c.query, start, end, ctx.signal))));
      const reportOnly = ctx.deps.gates!.reportOnly;
      for (const r of results) ctx.deps.gates!.metrics?.gateOutcome(ctx.cluster, r.name, r.outcome);
      const text = sloText(index, results, reportOnly);
      ctx.log(text);
      const detail = { checks: results.map((r) => ({ ...r })), window: { startMs: start, endMs: end } };
      const acted = results.filter((r) => !isReportOnly(ctx.deps.gates, r.name));
      const failed = acted.filter((r) => r.outcome === 'fail');
      if (failed.length) throw new StepError('fatal', `SLO gate failed: ${failed.map((r) => `${r.name}: ${r.detail}`).join('; ')}`, { detail });
      const unsure = acted.filter((r) => r.outcome === 'inconclusive');
      if (unsure.length) {
        throw new StepError('inconclusive', `SLO gate inconclusive: ${unsure.map((r) => `${r.name}: ${r.detail}`).join('; ')}`,
          { detail: { ...detail, result: { batch: index, ...detail } } });
      }
      return { batch: index, ...detail };
    },
  };
}
