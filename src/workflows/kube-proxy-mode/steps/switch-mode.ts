// Step 5: the DaemonSet to OnDelete (so the bot, not the controller, decides which node restarts when), then
// config.conf patched from the approved resourceVersion. Compensation puts the snapshot back exactly.
import type { JsonObject } from '../../engine/define.js';
import { StepError } from '../../engine/errors.js';
import { plannedConfigText } from '../plan.js';
import type { DaemonSetInfo } from '../../../k8s/cluster.js';
import { ensureConfigText, ensureUpdateStrategy } from './ensure-config.js';
import type { Ctx, Step } from './step-types.js';

export function switchMode(): Step {
  return {
    id: 'switch',
    gate: 'drift',
    retry: { max: 4, baseMs: 1_000 },
    async run(ctx) {
      const snap = requireSnapshot(ctx);
      const wanted = plannedConfigText(snap.configmapText, ctx.input);
      if (wanted === undefined) throw new StepError('fatal', 'config.conf can no longer be edited safely; nothing was switched.');
      const dsChanged = await ensureUpdateStrategy(ctx.deps.cluster, { type: 'OnDelete' });
      const cm = await ensureConfigText(ctx.deps.cluster, wanted, snap.configmapResourceVersion);
      ctx.log(`config.conf now says mode ${ctx.input.targetMode} (resourceVersion ${cm.resourceVersion}); kube-proxy DaemonSet set to OnDelete.`);
      return { configChanged: cm.changed, resourceVersion: cm.resourceVersion, daemonSetChanged: dsChanged };
    },
    async compensate(ctx) {
      const snap = requireSnapshot(ctx);
      const cm = await ensureConfigText(ctx.deps.cluster, snap.configmapText);
      await ensureUpdateStrategy(ctx.deps.cluster, snap.dsUpdateStrategy as unknown as DaemonSetInfo['updateStrategy']);
      ctx.log('config.conf and the DaemonSet update strategy are back as they were before the run.');
      return { restored: true, resourceVersion: cm.resourceVersion } satisfies JsonObject;
    },
  };
}

export function requireSnapshot(ctx: Ctx, runId?: string) {
  const snap = ctx.snapshot(runId);
  if (!snap) throw new StepError('fatal', `No snapshot of the kube-proxy configuration was stored for run ${runId ?? ctx.runId}.`);
  return snap;
}
