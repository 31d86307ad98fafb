// `/ipvs decide <run-id> continue|rollback|abort [note]` (issue #14 item 11): parsing, and help listing it.
import { describe, expect, it } from 'vitest';
import { parseIpvsCommand } from '../../src/bot/command-parser.js';
import { helpView } from '../../src/bot/views/help.js';

describe('/ipvs decide', () => {
  it('takes a run id, a decision and an optional free-text note', () => {
    expect(parseIpvsCommand('decide run-7 continue')).toEqual({ ok: true, command: { kind: 'decide', runId: 'run-7', decision: 'continue' } });
    expect(parseIpvsCommand('decide run-7 Rollback dns is down')).toEqual({ ok: true, command: { kind: 'decide', runId: 'run-7', decision: 'rollback', note: 'dns is down' } });
    expect(parseIpvsCommand('decide run-7 abort')).toMatchObject({ ok: true, command: { decision: 'abort' } });
  });

  it('refuses a missing run, a missing or unknown decision and a malformed run id, with the usage', () => {
    for (const [text, msg] of [['decide', /Which run/], ['decide run-7', /Which decision/], ['decide run-7 maybe', /not a decision/], ['decide <@U1> continue', /not a run id/]] as const) {
      const r = parseIpvsCommand(text);
      expect(r.ok, text).toBe(false);
      if (!r.ok) { expect(r.error).toMatch(msg); expect(r.usage).toMatch(/\/ipvs decide <run-id>/); }
    }
  });

  it('is listed by /ipvs help', () => {
    const h = helpView();
    expect(h.text).toContain('decide');
    expect(JSON.stringify(h.blocks)).toContain('/ipvs decide &lt;run-id&gt; continue|rollback|abort [note]');
  });
});
