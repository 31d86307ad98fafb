// Rollback step: config.conf back to the parent run's snapshot (byte for byte, at the current resourceVersion) and
// the DaemonSet on OnDelete while the bot restarts nodes one batch at a time.
import { ensureConfigText, ensureUpdateStrategy } from './ensure-config.js';
import { requireSnapshot } from './switch-mode.js';
import type { Step } from './step-types.js';

export function restoreConfig(): Step {
  return {
    id: 'restore-config',
    gate: 'drift',
    retry: { max: 4, baseMs: 1_000 },
    async run(ctx) {
      const parent = requireSnapshot(ctx, ctx.parentRunId);
      const by = { run: ctx.runId, step: ctx.stepId }; // marks the writes (k8s/write-mark.ts) for a re-run's drift gate
      await ensureUpdateStrategy(ctx.deps.cluster, { type: 'OnDelete' }, by);
      const cm = await ensureConfigText(ctx.deps.cluster, parent.configmapText, undefined, by);
      ctx.log(`config.conf restored from run ${ctx.parentRunId ?? '?'} (mode ${ctx.plan.targetMode}); restarting nodes.`);
      return { configChanged: cm.changed, resourceVersion: cm.resourceVersion };
    },
  };
}
