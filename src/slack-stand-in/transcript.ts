// Renders a channel as a person would read it: each top-level message in its latest version, its thread
// replies indented, files and ephemeral answers marked. Used by the demo's printed transcript and by tests.
import { blocksToText } from './block-text.js';
import type { SlackStandIn, StoredMessage } from './slack-stand-in.js';

function body(m: { text: string; blocks?: unknown[] }): string[] {
  const lines = m.blocks && m.blocks.length > 0 ? blocksToText(m.blocks) : [m.text];
  return lines.flatMap((l) => l.split('\n'));
}

function who(s: SlackStandIn, id: string): string {
  return `@${s.users.get(id)?.name ?? id}`;
}

function renderMessage(s: SlackStandIn, m: StoredMessage, indent: string): string[] {
  const head = `${indent}${who(s, m.user)} [${m.ts}]${m.edits > 0 ? ` (edited ${m.edits}x)` : ''}${m.reply_broadcast ? ' (also sent to the channel)' : ''}`;
  const lines = [head, ...body(m).map((l) => `${indent}  ${l}`)];
  for (const f of m.files ?? []) lines.push(`${indent}  [file: ${f.title ?? f.filename}, ${f.content?.length ?? 0} bytes]`);
  return lines;
}

export function renderTranscript(s: SlackStandIn, channel: string): string {
  type Entry = { ts: string; lines: string[] };
  const entries: Entry[] = [];
  for (const m of s.topLevel(channel)) {
    const lines = renderMessage(s, m, '');
    for (const r of s.replies(channel, m.ts)) lines.push(...renderMessage(s, r, '    ↳ '));
    entries.push({ ts: m.ts, lines });
  }
  // Broadcast replies appear in the channel too, as in Slack.
  for (const m of s.messages) {
    if (m.channel === channel && m.reply_broadcast && m.thread_ts) entries.push({ ts: m.ts, lines: renderMessage(s, m, '') });
  }
  entries.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0));
  const out = entries.flatMap((e) => [...e.lines, '']);
  const eph = s.ephemerals.filter((e) => e.channel === channel);
  if (eph.length > 0) {
    out.push('-- ephemeral answers (only the named person saw these) --');
    for (const e of eph) out.push(`to ${who(s, e.user)}: ${body(e).join(' / ')}`);
  }
  return out.join('\n');
}
