import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedHeaders } from '../support/slack-signing.js';
import { CHANNEL, SECRET, startHarness, USERS, type Harness } from './harness.js';
import { seededRandom } from '../../src/sandbox/seeded-random.js';

function commandBody(text: string, responseUrl: string): string {
  return new URLSearchParams({ team_id: 'T0TEAM', channel_id: CHANNEL, user_id: USERS.requester, command: '/ipvs', text, response_url: responseUrl, trigger_id: 't.1' }).toString();
}


const WORDS = ['plan', 'status', 'rollback', 'cancel', 'clusters', 'audit', 'export', 'verify', 'help', 'cluster-a', 'cluster-b', 'prod-eu', 'nope',
  '--mode', 'ipvs', 'iptables', 'nftables', 'bogus', '--scheduler', 'wrr', 'sh', 'zz', '--batch', '0', '3', '25%', '150%', '--cleanup', 'none', 'targeted',
  '--strict-arp', '--no-auto-rollback', '--since', '30d', 'x', '--format', 'csv', 'xml', '--mode=ipvs', '—mode', 'run-1', '<!channel>', '`', '"', '\'',
  '🙂', '\u0000', '\\', '$(rm -rf /)', ';', '&&', '%', '=', '--', '-', 'PLAN', 'Cluster-A', 'a'.repeat(70), '\t', '\n'];

describe('src/bot request verification and robustness', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); h.workflows.nodeCount = 2; });
  afterAll(async () => { await h.stop(); });

  it('rejects a bad signature with 401 and never runs the command', async () => {
    const body = commandBody('plan cluster-a', h.slack.responseUrl(CHANNEL, USERS.requester));
    const r = await h.driver.post(body, undefined, signedHeaders('wrong-secret', body));
    expect(r.status).toBe(401);
    const tampered = await h.driver.post(body.replace('cluster-a', 'cluster-b'), undefined, signedHeaders(SECRET, body));
    expect(tampered.status).toBe(401);
    const unsigned = await h.driver.post(body, undefined, {});
    expect(unsigned.status).toBe(401);
    expect(h.workflows.calls.length).toBe(0);
  });

  it('rejects a correctly signed request older than 5 minutes with 401', async () => {
    const body = commandBody('help', h.slack.responseUrl(CHANNEL, USERS.requester));
    const stale = await h.driver.post(body, undefined, signedHeaders(SECRET, body, Math.floor(Date.now() / 1000) - 6 * 60));
    expect(stale.status).toBe(401);
    const fresh = await h.driver.post(body, undefined, signedHeaders(SECRET, body, Math.floor(Date.now() / 1000) - 4 * 60));
    expect(fresh.status).toBe(200);
  });

  it('500 random command texts (seeded) never crash a handler and each gets an answer', async () => {
    const rand = seededRandom(20261125);
    const texts: string[] = [];
    for (let i = 0; i < 500; i++) {
      const n = Math.floor(rand() * 7);
      const parts = Array.from({ length: n }, () => (rand() < 0.1 ? String.fromCharCode(32 + Math.floor(rand() * 0x2fff)) : WORDS[Math.floor(rand() * WORDS.length)]!));
      texts.push(parts.join(rand() < 0.9 ? ' ' : ''));
    }
    let i = 0;
    for (const text of texts) {
      // Keep runs from piling up on one cluster's lock: every plan's run is ended right away.
      for (const r of h.workflows.runs.values()) if (r.state === 'awaiting_approval') r.state = 'cancelled';
      const user = `U0FUZZ${i++}`;
      const reply = await h.driver.command(user, CHANNEL, text);
      expect(reply.status, `text ${JSON.stringify(text)}`).toBe(200);
      // An answer: an ephemeral ack text, a follow-up via response_url, or a card posted in the channel.
      await h.slack.waitFor(() => h.slack.ephemeralsFor(user).some((e) => e.via === 'response_url' || !/Planning|Checking|Exporting|Verifying/.test(e.text))
        || h.slack.topLevel(CHANNEL).some((m) => m.text && [...h.workflows.runs.values()].some((r) => r.requester === user && r.message?.ts === m.ts)),
      5000, `answer to ${JSON.stringify(text)}`);
    }
    expect(h.logger.lines.filter((l) => l.msg === 'unhandled listener error')).toEqual([]);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  }, 120_000);
});
