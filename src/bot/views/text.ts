// Block Kit text helpers that keep every block under Slack's limits (3000 chars per section text, 150 per header).
export const SECTION_MAX = 3000;
export const MAX_BLOCKS = 50;

export type Block = Record<string, unknown>;

export function truncate(s: string, max: number, suffix = '…'): string {
  return s.length <= max ? s : `${s.slice(0, Math.max(0, max - suffix.length))}${suffix}`;
}

/** Escapes text for mrkdwn so names from the cluster cannot mention @channel or inject links. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Escapes text that came from the engine (error messages it composed) but keeps its user mentions `<@U…>` real:
 * those are ours; everything else (a `<!channel>`, a `<http://x|y>` link) is shown as typed.
 */
export function escKeepMentions(s: string): string {
  return s.split(/(<@[UW][A-Z0-9]{2,}>)/).map((part, i) => (i % 2 === 1 ? part : esc(part))).join('');
}

/**
 * A run's reason ("rejected by <@U…>: <what the person typed>"): the leading actor mention stays a mention (the
 * engine wrote it), the rest is user text and is escaped, including any mention typed into it.
 */
export function reasonText(reason: string): string {
  const m = /^([A-Za-z][A-Za-z -]{0,40} by )<@([UW][A-Z0-9]{2,})>/.exec(reason);
  return m ? `${esc(m[1]!)}<@${m[2]}>${esc(reason.slice(m[0].length))}` : esc(reason);
}

/** A code block whose content is cut at a line boundary, saying how many lines were left out. */
export function codeBlock(body: string, max = SECTION_MAX, lang = ''): string {
  const open = '```' + lang + '\n';
  const close = '\n```';
  const clean = esc(body.replace(/```/g, "'''"));
  if (open.length + clean.length + close.length <= max) return open + clean + close;
  const lines = clean.split('\n');
  const kept: string[] = [];
  let size = open.length + close.length + 40;
  for (const l of lines) {
    if (size + l.length + 1 > max) break;
    kept.push(l); size += l.length + 1;
  }
  return `${open}${kept.join('\n')}\n… (${lines.length - kept.length} more lines)${close}`;
}

export function section(text: string): Block {
  return { type: 'section', text: { type: 'mrkdwn', text: truncate(text, SECTION_MAX) } };
}

export function header(text: string): Block {
  return { type: 'header', text: { type: 'plain_text', text: truncate(text, 150), emoji: true } };
}

export function context(...texts: string[]): Block {
  return { type: 'context', elements: texts.slice(0, 10).map((t) => ({ type: 'mrkdwn', text: truncate(t, SECTION_MAX) })) };
}

export function fields(pairs: [string, string][]): Block {
  return { type: 'section', fields: pairs.slice(0, 10).map(([k, v]) => ({ type: 'mrkdwn', text: truncate(`*${k}*\n${v}`, 2000) })) };
}

/** Slack renders this in the reader's time zone; the fallback is the ISO time. */
export function slackDate(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return esc(iso);
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} {time}|${iso}>`;
}

/** Keeps a message under the block limit, replacing the overflow with a note. */
export function capBlocks(blocks: Block[], max = MAX_BLOCKS): Block[] {
  if (blocks.length <= max) return blocks;
  // The buttons are what people act on: they stay, whatever else is cut.
  const last = blocks[blocks.length - 1];
  const keepLast = last?.type === 'actions';
  const room = max - 1 - (keepLast ? 1 : 0);
  const body = blocks.slice(0, room);
  return [...body, context(`… ${blocks.length - room - (keepLast ? 1 : 0)} more sections not shown`), ...(keepLast && last ? [last] : [])];
}
