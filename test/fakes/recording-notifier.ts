// Records every Notifier event, in order, for assertions.
import type { Notifier, RunEvent, RunState } from '../../src/workflows/kube-proxy-mode/api.js';

export class RecordingNotifier implements Notifier {
  readonly events: RunEvent[] = [];

  notify(event: RunEvent): void { this.events.push(event); }

  /** The run's states as the Notifier saw them, consecutive repeats collapsed. */
  states(runId: string): RunState[] {
    const out: RunState[] = [];
    for (const e of this.events) {
      if (e.type !== 'state' || e.runId !== runId) continue;
      if (out[out.length - 1] !== e.status.state) out.push(e.status.state);
    }
    return out;
  }

  nodeEvents(runId: string): Extract<RunEvent, { type: 'node' }>[] {
    return this.events.filter((e): e is Extract<RunEvent, { type: 'node' }> => e.type === 'node' && e.runId === runId);
  }
}
