// The simulated node side of a Job pod: what the bot's node scripts (src/k8s/node-scripts/*.sh) would find and do on
// this host, answered with the same JSON result object (DESIGN.md "node Jobs", the issue #10 node-Job contract).
//
// What it reads from the pod (nothing else):
// - labels `app.kubernetes.io/managed-by: ipvs-bot` (otherwise: any other Job, which simply succeeds),
//   `ipvs-bot/phase` (prep|verify|cleanup), `ipvs-bot/target-mode` (ipvs|iptables|nftables), `ipvs-bot/node`;
// - env of the first container (plain `value`s; IPVS_BOT_NODE's downward-API value is spec.nodeName):
//   IPVS_BOT_PHASE / IPVS_BOT_TARGET_MODE (fallbacks for the labels), IPVS_BOT_KUBE_PROXY_MINOR, IPVS_BOT_SERVICE_VS,
//   IPVS_BOT_SCHEDULER (prep, default rr), IPVS_BOT_DRY_RUN=1 / IPVS_BOT_FROM_MODE / IPVS_BOT_RESTORE_SYSCTLS (cleanup),
//   IPVS_BOT_EXPECTED_SERVICES, IPVS_BOT_TCP_TARGET, IPVS_BOT_DNS_NAME / _SERVER / _TYPE / _EXPECT, IPVS_BOT_PING_TARGET,
//   IPVS_BOT_METRICS_ADDR (verify);
// - a container command containing `--cleanup` (the `kube-proxy --cleanup` Job): upstream cleanup, no JSON line.
import type { HostState } from './host-state.js';
import { platformCleanup } from './kube-proxy-names.js';
import { type AgentContext, type Phase, readCommonEnv } from './agent-common.js';
import { prep } from './agent-prep.js';
import { verify } from './agent-verify.js';
import { cleanup } from './agent-cleanup.js';
import { syncRunMs, waitForSync } from './agent-sync.js';

export type { AgentContext } from './agent-common.js';

export interface JobRun { exitCode: number; message: string; log: string[] }

type Pod = { metadata: { labels?: Record<string, string> }; spec?: { nodeName?: string; containers?: { command?: string[]; args?: string[]; env?: { name: string; value?: string }[] }[] } };

export function isBotJobPod(pod: Pod): boolean {
  return pod.metadata.labels?.['app.kubernetes.io/managed-by'] === 'ipvs-bot';
}

export function runNodeJob(host: HostState, pod: Pod, ctx: AgentContext): JobRun {
  const c = pod.spec?.containers?.[0];
  const argv = [...(c?.command ?? []), ...(c?.args ?? [])];
  if (argv.includes('--cleanup')) return kubeProxyCleanup(host, ctx);
  if (!isBotJobPod(pod)) return { exitCode: 0, message: '', log: ['done'] };
  const env = new Map<string, string>();
  for (const e of c?.env ?? []) if (typeof e.value === 'string') env.set(e.name, e.value);
  const labels = pod.metadata.labels ?? {};
  const phase = labels['ipvs-bot/phase'] ?? env.get('IPVS_BOT_PHASE') ?? 'unknown';
  const targetMode = labels['ipvs-bot/target-mode'] ?? env.get('IPVS_BOT_TARGET_MODE') ?? '';
  const node = pod.spec?.nodeName ?? host.node;
  const r: Record<string, unknown> = { phase, node, targetMode };
  const errors: string[] = [];
  const warnings: string[] = [];
  const common = readCommonEnv(env, errors);
  if (common) {
    const p: Phase = { h: host, env, target: targetMode, ctx, r, errors, warnings, tokens: common.tokens, minor: common.minor };
    // verify and cleanup open with the wait for kube-proxy's first sync when asked (lib.sh wait_for_sync); read when
    // the script's wait would have ended, i.e. the Job's run time less the phase's own step.
    const started = ctx.jobStartedAtMs ?? Date.now();
    const synced = () => waitForSync(p, started, started + syncRunMs(host, env, started));
    if (phase === 'prep') prep(p);
    else if (phase === 'verify') {
      if (!['ipvs', 'iptables', 'nftables'].includes(targetMode)) errors.push('unknown target mode');
      else if (synced()) verify(p);
    } else if (phase === 'cleanup') { if (synced()) cleanup(p); }
    else errors.push(`unknown phase ${JSON.stringify(phase)}`);
  }
  const result = { phase, node, targetMode, ok: errors.length === 0, errors, warnings, ...r };
  const line = JSON.stringify(result);
  return { exitCode: 0, message: line, log: [`ipvs-bot ${phase} on ${node}`, line] };
}

/** How long the Job's container runs before its result: the phase's own step `dflt`, after the wait for kube-proxy's sync. */
export function jobRunMs(host: HostState, pod: Pod, nowMs: number, dflt: number): number {
  const phase = pod.metadata.labels?.['ipvs-bot/phase'];
  if (!isBotJobPod(pod) || (phase !== 'verify' && phase !== 'cleanup')) return dflt;
  const env = new Map<string, string>();
  for (const e of pod.spec?.containers?.[0]?.env ?? []) if (typeof e.value === 'string') env.set(e.name, e.value);
  return dflt + syncRunMs(host, env, nowMs);
}

/**
 * `kube-proxy --cleanup` (platformCleanup with cleanupAndExit, domain §6.6): iptables and IPVS proxiers' fixed chains
 * and jumps, the WHOLE IPVS table (foreign and fwmark virtual servers too), kube-ipvs0, kube-proxy's own ipsets and
 * the nftables tables. Another tool's KUBE-* sets and chains stay: upstream deletes only its fixed names.
 */
export function kubeProxyCleanup(h: HostState, ctx?: AgentContext): JobRun {
  const n = h.ipvs.size;
  platformCleanup(h, 'iptables', true);
  ctx?.resync?.();
  return { exitCode: 0, message: '', log: [`I0000 cleanup.go:1] "Flushed IPVS table" services=${n}`, 'I0000 cleanup.go:2] "Deleted kube-ipvs0"'] };
}
