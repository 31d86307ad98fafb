// Renders a channel as a person would read it: each top-level message in its latest version, its thread
// replies indented, files and ephemeral answers marked. Used by the demo's printed transcript and by tests.
// versions: 'first-and-latest' also shows an edited message as first posted (the plan card the approver saw),
// 'all' every version in order.
import { blocksToText } from './block-text.js';
import type { SlackStandIn, StoredMessage } from './slack-stand-in.js';

function body(m: { text: string; blocks?: unknown[] }): string[] {
  const lines = m.blocks && m.blocks.length > 0 ? blocksToText(m.blocks) : [m.text];
  return lines.flatMap((l) => l.split('\n'));
}

function who(s: SlackStandIn, id: string): string {
  return `@${s.users.get(id)?.name ?? id}`;
}

export type TranscriptVersions = 'latest' | 'first-and-latest' | 'all';

function renderMessage(s: SlackStandIn, m: StoredMessage, indent: string, versions: TranscriptVersions = 'latest'): string[] {
  const head = `${indent}${who(s, m.user)} [${m.ts}]${m.edits > 0 ? ` (edited ${m.edits}x)` : ''}${m.reply_broadcast ? ' (also sent to the channel)' : ''}`;
  const earlier = versions === 'latest' ? [] : versions === 'all' ? m.history ?? [] : (m.history ?? []).slice(0, 1);
  const lines = [head];
  earlier.forEach((v, i) => {
    lines.push(`${indent}  ── ${i === 0 ? 'as first posted' : `version ${i + 1}`} ──`, ...body(v).map((l) => `${indent}  ${l}`));
  });
  if (earlier.length) lines.push(`${indent}  ── now (after ${m.edits} edit${m.edits === 1 ? '' : 's'}) ──`);
  lines.push(...body(m).map((l) => `${indent}  ${l}`));
  for (const f of m.files ?? []) lines.push(`${indent}  [file: ${f.title ?? f.filename}, ${f.content?.length ?? 0} bytes]`);
  return lines;
}

export function renderTranscript(s: SlackStandIn, channel: string, opts: { versions?: TranscriptVersions } = {}): string {
  type Entry = { ts: string; lines: string[] };
  const entries: Entry[] = [];
  for (const m of s.topLevel(channel)) {
    const lines = renderMessage(s, m, '', opts.versions);
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
