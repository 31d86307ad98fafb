// The demo's fleet part (issue #13): `/ipvs fleet` over every configured cluster, then a two-wave run
// (`/ipvs plan --clusters dev-1,prod-1 --mode iptables`): wave 2 opens only once wave 1 succeeded.
import type { Runtime } from '../runtime.js';
import type { FleetProfile, FleetSandboxes } from '../sandbox/fleet-sandboxes.js';
import { blocksToText, buttonsIn, type SlackDriver, type SlackStandIn } from '../slack-stand-in/index.js';

export const FLEET_CHANNEL = 'C0FLEETOPS';
const MODERN = '6.1.0-27-amd64';
export const FLEET_DEMO_PROFILES: FleetProfile[] = [
  { name: 'dev-1', mode: 'ipvs', sandbox: { kubernetesVersion: 'v1.35.0', kernel: MODERN } },
  { name: 'prod-1', mode: 'ipvs', sandbox: { kubernetesVersion: 'v1.28.7', kernel: MODERN } },
];

export interface FleetDemoDeps {
  slack: SlackStandIn; driver: SlackDriver; runtime: Runtime; fleet: FleetSandboxes;
  requester: string; approver: string; say(l: string): void; check(what: string, ok: boolean): void;
}

export async function fleetDemo(d: FleetDemoDeps): Promise<void> {
  const { slack: s, driver, runtime, say, check } = d;
  say('/ipvs fleet  (as @alice, in #fleet-ops)');
  const seen = s.ephemeralsFor(d.requester).length;
  await driver.command(d.requester, FLEET_CHANNEL, 'fleet');
  const view = await s.waitFor(() => s.ephemeralsFor(d.requester).slice(seen).find((e) => /^Fleet/.test(e.text) && e.blocks), 30_000, 'the fleet view');
  const text = blocksToText(view.blocks as never).join('\n');
  check('fleet view: one row per cluster, dev-1 (1.35 IPVS, 5 releases left) first', text.indexOf('*dev-1*') >= 0 && text.indexOf('*dev-1*') < text.indexOf('*prod-1*') && /Releases left: \*5\*/.test(text));

  say('/ipvs plan --clusters dev-1,prod-1 --mode iptables');
  const before = s.topLevel(FLEET_CHANNEL).length;
  await driver.command(d.requester, FLEET_CHANNEL, 'plan --clusters dev-1,prod-1 --mode iptables');
  const cards = await s.waitFor(() => { const c = s.topLevel(FLEET_CHANNEL).slice(before).filter((m) => /wave \d\/2/.test(m.text)); return c.length === 2 ? c : undefined; }, 30_000, 'two wave cards');
  const [w1, w2] = [cards[0]!, cards[1]!];
  check('waves: wave 2 cannot be approved before wave 1 succeeded', buttonsIn(s.message(FLEET_CHANNEL, w2.ts)?.blocks).length === 0);
  for (const [i, card, cluster] of [[1, w1, 'dev-1'], [2, w2, 'prod-1']] as const) {
    say(`@bob clicks Approve wave ${i}`);
    await s.waitFor(() => buttonsIn(s.message(FLEET_CHANNEL, card.ts)?.blocks).some((b) => b.text === `Approve wave ${i}`) || undefined, 30_000, `wave ${i} approvable`);
    await driver.clickButton(d.approver, { channel: FLEET_CHANNEL, ts: card.ts }, `Approve wave ${i}`);
    const run = await s.waitFor(() => runtime.engine.listRuns({ cluster, limit: 1 }).find((r) => r.state !== 'awaiting_approval'), 30_000, `${cluster} started`);
    const end = Date.now() + 120_000;
    let r = runtime.engine.getRun(run.runId);
    while (r && !['succeeded', 'failed', 'rolled_back', 'cancelled', 'voided', 'waiting_operator'].includes(r.state) && Date.now() < end) {
      await new Promise((res) => setTimeout(res, 100));
      r = runtime.engine.getRun(run.runId);
    }
    const cm = d.fleet.clusters.find((c) => c.name === cluster)?.sandbox.store.get('configmaps', 'kube-system', 'kube-proxy') as { data?: Record<string, string> } | undefined;
    const mode = /^mode:\s*"?([a-z]*)"?/m.exec(cm?.data?.['config.conf'] ?? '')?.[1] ?? '';
    check(`wave ${i}: ${cluster} ${r?.state ?? 'unknown'}, ConfigMap mode now "${mode}"`, r?.state === 'succeeded' && mode === 'iptables');
  }
  await runtime.bot.notifier.flush();
  await s.waitFor(() => /Succeeded/.test(blocksToText(s.message(FLEET_CHANNEL, w2.ts)?.blocks as never).join('\n')) || undefined, 15_000, 'wave 2 card succeeded');
  check('waves: both wave cards show Succeeded', [w1, w2].every((c) => /Succeeded/.test(blocksToText(s.message(FLEET_CHANNEL, c.ts)?.blocks as never).join('\n'))));
}
