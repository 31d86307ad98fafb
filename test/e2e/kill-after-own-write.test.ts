// Issue #14 item 3: the bot (a real child process) killed with SIGKILL right after its own DaemonSet patch, before it
// could record it. The restarted bot must recognise that write as its own (not drift), finish the run, and leave
// the DaemonSet on RollingUpdate in the right mode — for the switch and for a rollback's restore-config. And a run
// that finds an OnDelete left by an earlier ipvs-bot run does not take it as the original strategy.
import { afterEach, describe, expect, it } from 'vitest';
import { closeDb, openDb, type Db } from '../../src/db/client.js';
import { K8sCluster } from '../../src/k8s/k8s-cluster.js';
import { buttonsIn } from '../../src/slack-stand-in/index.js';
import { ALICE, BOB, CHANNEL, configMapMode, kubeProxyLogs } from '../support/e2e-harness.js';
import { botWorld, until } from './bot-world.js';
import { killBot, spawnBot, waitReady, type ChildBot } from './child-bot.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => { while (cleanups.length) await cleanups.pop()!(); });

const TERMINAL = new Set(['succeeded', 'failed', 'rolled_back', 'rejected', 'expired', 'cancelled', 'voided', 'waiting_operator']);
interface RunRow { id: string; kind: string; state: string; reason: string | null }
interface DsObj { spec: { updateStrategy: { type: string } } }

async function setup() {
  const { sb, slack, dbPath, port, env, driver } = await botWorld(cleanups, { sandbox: { nodes: 2, stepMs: 5 }, dirPrefix: 'ipvs-bot-e2e-kill-own-' });
  const bots: (ChildBot | undefined)[] = [];
  cleanups.push(async () => { for (const b of bots) await killBot(b); });
  const start = async () => { const b = spawnBot(env); bots.push(b); await waitReady(port, b); return b; };
  let db: Db | undefined;
  const runs = (): RunRow[] => {
    db ??= openDb(dbPath, { readonly: true });
    return db.$client.prepare('SELECT id, kind, state, reason FROM runs ORDER BY created_at').all() as RunRow[];
  };
  cleanups.push(() => { if (db) closeDb(db); });
  const strategy = () => (sb.store.get('daemonsets', 'kube-system', 'kube-proxy') as unknown as DsObj).spec.updateStrategy.type;
  /** Posts `/ipvs <text>` and approves the new card it makes. */
  const approved = new Set<string>();
  const planAndApprove = async (text: string) => {
    expect((await driver.command(ALICE, CHANNEL, text)).status).toBe(200);
    const card = await slack.waitFor(() => slack.topLevel(CHANNEL).find((m) => !approved.has(m.ts) && buttonsIn(m.blocks).some((b) => b.text === 'Approve')), 30_000, `the card of ${text}`);
    approved.add(card.ts);
    expect((await driver.clickButton(BOB, { channel: CHANNEL, ts: card.ts }, 'Approve')).status).toBe(200);
  };
  /** SIGKILLs `bot` synchronously when the sandbox applies the DaemonSet write to OnDelete, before the answer is sent. */
  const killOnOnDelete = (bot: () => ChildBot | undefined) => {
    let killed = false;
    const off = sb.store.subscribe((e) => {
      if (killed || e.type !== 'MODIFIED' || e.resource !== 'daemonsets' || (e.object.metadata as { name?: string }).name !== 'kube-proxy') return;
      const now = (e.object as unknown as DsObj).spec.updateStrategy.type;
      const before = (e.prev as unknown as DsObj | undefined)?.spec.updateStrategy.type;
      if (now === 'OnDelete' && before !== 'OnDelete') { killed = true; bot()?.child.kill('SIGKILL'); }
    });
    cleanups.push(off);
    return () => killed;
  };
  return { sb, start, runs, strategy, planAndApprove, killOnOnDelete };
}

describe('e2e: kill -9 right after the bot\'s own DaemonSet write', () => {
  it('switch: the restarted bot recognises its own patch, finishes the run; DaemonSet back on RollingUpdate, mode ipvs', async () => {
    const t = await setup();
    let bot: ChildBot | undefined = await t.start();
    const killed = t.killOnOnDelete(() => bot);
    await t.planAndApprove('plan sandbox');
    await until('the kill at the switch', 60_000, () => killed());
    expect(await bot.exited).toBe('SIGKILL');
    expect(t.strategy()).toBe('OnDelete'); // the patch was applied; the bot never saw the answer
    expect(t.runs()[0]!.state).toBe('running');

    bot = await t.start();
    const done = await until('the run to end', 120_000, () => { const r = t.runs()[0]; return r && TERMINAL.has(r.state) && r; });
    expect(done.state, done.reason ?? '').toBe('succeeded');
    expect(t.strategy()).toBe('RollingUpdate');
    expect(configMapMode(t.sb)).toBe('ipvs');
    for (const [node, log] of await kubeProxyLogs(t.sb)) expect(log, node).toContain('Using ipvs Proxier');
  }, 240_000);

  it('rollback: killed after restore-config\'s DaemonSet patch, the restart finishes the rollback; RollingUpdate, mode iptables', async () => {
    const t = await setup();
    let bot: ChildBot | undefined = await t.start();
    await t.planAndApprove('plan sandbox');
    await until('the migration', 120_000, () => t.runs()[0]?.state === 'succeeded');
    const killed = t.killOnOnDelete(() => bot);
    await t.planAndApprove('rollback sandbox');
    await until('the kill at restore-config', 60_000, () => killed());
    expect(await bot.exited).toBe('SIGKILL');
    expect(t.strategy()).toBe('OnDelete');

    bot = await t.start();
    const done = await until('the rollback to end', 120_000, () => { const r = t.runs().find((x) => x.kind === 'rollback'); return r && TERMINAL.has(r.state) && r; });
    expect(done.state, done.reason ?? '').toBe('succeeded');
    expect(t.strategy()).toBe('RollingUpdate');
    expect(configMapMode(t.sb)).toBe(''); // the seed's config.conf: mode "" (iptables, the default)
    for (const [node, log] of await kubeProxyLogs(t.sb)) expect(log, node).toContain('Using iptables Proxier');
  }, 300_000);

  it('a run that finds an OnDelete left by an earlier ipvs-bot run restores RollingUpdate, not OnDelete, at the end', async () => {
    const t = await setup();
    // What a run stopped between its switch and its finish leaves behind: OnDelete written by the bot.
    const k = K8sCluster.fromKubeconfig({ kubeconfig: t.sb.kubeconfigPath });
    await k.setDaemonSetUpdateStrategy('kube-system', 'kube-proxy', { type: 'OnDelete' }, { run: 'an-earlier-run', step: 'switch' });
    expect(t.strategy()).toBe('OnDelete');
    await t.start();
    await t.planAndApprove('plan sandbox');
    const done = await until('the run to end', 120_000, () => { const r = t.runs()[0]; return r && TERMINAL.has(r.state) && r; });
    expect(done.state, done.reason ?? '').toBe('succeeded');
    expect(t.strategy()).toBe('RollingUpdate');
  }, 240_000);
});
