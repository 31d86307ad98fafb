// Step 5: the DaemonSet to OnDelete (so the bot, not the controller, decides which node restarts when), then
// config.conf patched from the approved resourceVersion. Compensation puts the snapshot back exactly.
import type { JsonObject } from '../../engine/define.js';
import { StepError } from '../../engine/errors.js';
import { plannedConfigText } from '../plan.js';
import type { DaemonSetInfo } from '../../../k8s/cluster.js';
import { ensureConfigText, ensureUpdateStrategy } from './ensure-config.js';
import type { Ctx, Step } from './step-types.js';
import { KUBE_PROXY_NAME, KUBE_PROXY_NAMESPACE } from '../facts.js';

export function switchMode(): Step {
  return {
    id: 'switch',
    gate: 'drift',
    retry: { max: 4, baseMs: 1_000 },
    async run(ctx) {
      const snap = requireSnapshot(ctx);
      const wanted = plannedConfigText(snap.configmapText, ctx.input);
      if (wanted === undefined) throw new StepError('fatal', 'config.conf can no longer be edited safely; nothing was switched.');
      // Every write carries the run's mark (k8s/write-mark.ts): after a kill -9 the re-run's drift gate knows them.
      const by = { run: ctx.runId, step: ctx.stepId };
      const dsChanged = await ensureUpdateStrategy(ctx.deps.cluster, { type: 'OnDelete' }, by);
      // --cleanup kube-proxy: each new kube-proxy pod first runs `kube-proxy --cleanup` as an init container, i.e.
      // after the old pod is gone and before the new proxier syncs (domain §6.6). OnDelete: no pod restarts for it.
      const initAdded = ctx.input.cleanup === 'kube-proxy'
        ? await ctx.deps.cluster.setKubeProxyCleanupInit(KUBE_PROXY_NAMESPACE, KUBE_PROXY_NAME, true, by) : false;
      const cm = await ensureConfigText(ctx.deps.cluster, wanted, snap.configmapResourceVersion, by);
      ctx.log(`config.conf now says mode ${ctx.input.targetMode} (resourceVersion ${cm.resourceVersion}); kube-proxy DaemonSet set to OnDelete${ctx.input.cleanup === 'kube-proxy' ? ', with a `kube-proxy --cleanup` init container' : ''}.`);
      return { configChanged: cm.changed, resourceVersion: cm.resourceVersion, daemonSetChanged: dsChanged, cleanupInitAdded: initAdded };
    },
    async compensate(ctx) {
      const snap = requireSnapshot(ctx);
      const cm = await ensureConfigText(ctx.deps.cluster, snap.configmapText);
      // The nodes were restored already (rollout compensations run first, with the init container cleaning the new
      // mode's rules before the old kube-proxy started); now the template goes back, while still OnDelete.
      if (ctx.input.cleanup === 'kube-proxy') await ctx.deps.cluster.setKubeProxyCleanupInit(KUBE_PROXY_NAMESPACE, KUBE_PROXY_NAME, false);
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
