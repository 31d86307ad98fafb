// Where each wave card of a fleet run lives, and re-rendering them when one of the fleet's runs changes state (the
// engine's Notifier wrapped in runtime.ts). Locations are kept in memory: after a restart a card is re-learnt from
// the next click on it (the click carries its own channel and ts).
import type { Notifier, RunEvent } from '../workflows/kube-proxy-mode/api.js';
import type { Fleet } from '../workflows/fleet/fleet-service.js';
import type { Logger } from '../workflows/engine/ports.js';
import { waveCard } from './views/wave-card.js';

interface ChatUpdate { chat: { update(a: { channel: string; ts: string; text: string; blocks: never[] }): Promise<unknown> } }

export class FleetCards {
  private readonly cards = new Map<string, Map<number, { channel: string; ts: string }>>();
  private bound?: { client: ChatUpdate; fleet: Fleet; production: (c: string) => boolean; logger: Logger };
  private readonly lastState = new Map<string, string>();

  bind(client: ChatUpdate, fleet: Fleet, production: (c: string) => boolean, logger: Logger): void { this.bound = { client, fleet, production, logger }; }

  remember(fleetId: string, wave: number, channel: string, ts: string): void {
    const m = this.cards.get(fleetId) ?? new Map<number, { channel: string; ts: string }>();
    m.set(wave, { channel, ts });
    this.cards.set(fleetId, m);
  }

  async refresh(fleetId: string): Promise<void> {
    const b = this.bound;
    const m = this.cards.get(fleetId);
    if (!b || !m) return;
    const st = b.fleet.state(fleetId);
    if (!st) return;
    for (const [wave, at] of m) {
      const card = waveCard(st, wave, b.production);
      await b.client.chat.update({ channel: at.channel, ts: at.ts, text: card.text, blocks: card.blocks as never[] })
        .catch((err: unknown) => b.logger.warn({ fleet: fleetId, wave, err: String(err) }, 'wave card update failed'));
    }
  }

  /** Wraps the engine's notifier: a fleet run's state change re-renders that fleet's wave cards. */
  wrap(inner: Notifier): Notifier {
    return {
      notify: (e: RunEvent) => {
        if (e.type === 'state' && this.bound && this.lastState.get(e.runId) !== e.status.state) {
          this.lastState.set(e.runId, e.status.state);
          const fleetId = this.bound.fleet.fleetOf(e.runId);
          if (fleetId && this.cards.has(fleetId)) void this.refresh(fleetId);
        }
        return inner.notify(e);
      },
    };
  }
}
