// Reads Block Kit the way a person sees it: the text of each block and the buttons by their visible label.
type Json = Record<string, unknown>;

function textOf(t: unknown): string {
  if (t && typeof t === 'object' && typeof (t as Json).text === 'string') return (t as Json).text as string;
  return '';
}

/** Readable lines for a list of blocks (section text and fields, context, header, buttons as [Label]). */
export function blocksToText(blocks: unknown): string[] {
  if (!Array.isArray(blocks)) return [];
  const out: string[] = [];
  for (const b of blocks as Json[]) {
    switch (b.type) {
      case 'header': out.push(`# ${textOf(b.text)}`); break;
      case 'section': {
        if (b.text) out.push(textOf(b.text));
        // A field reads "*Label*\nvalue" in Slack's two-column layout; one line per field reads best as text.
        if (Array.isArray(b.fields)) out.push(...(b.fields as unknown[]).map((f) => textOf(f).replace(/^\*([^*\n]+)\*\n/, '$1: ')));
        if (b.accessory && (b.accessory as Json).type === 'button') out.push(`[${textOf((b.accessory as Json).text)}]`);
        break;
      }
      case 'context': out.push((Array.isArray(b.elements) ? b.elements as unknown[] : []).map(textOf).join(' ')); break;
      case 'divider': out.push('---'); break;
      case 'actions': out.push(buttonsIn([b]).map((x) => `[${x.text}]`).join(' ')); break;
      case 'input': out.push(`${textOf(b.label)}: ____`); break;
      case 'rich_text': out.push('(rich text)'); break;
      default: break;
    }
  }
  return out.filter((l) => l !== '');
}

export interface FoundButton { text: string; action_id: string; value?: string; block_id?: string; style?: string; confirm?: unknown }

export function buttonsIn(blocks: unknown): FoundButton[] {
  if (!Array.isArray(blocks)) return [];
  const found: FoundButton[] = [];
  for (const b of blocks as Json[]) {
    const els = b.type === 'actions' && Array.isArray(b.elements) ? b.elements as Json[]
      : b.type === 'section' && b.accessory ? [b.accessory as Json] : [];
    for (const e of els) {
      if (e.type !== 'button') continue;
      const btn: FoundButton = { text: textOf(e.text), action_id: String(e.action_id) };
      if (typeof e.value === 'string') btn.value = e.value;
      if (typeof b.block_id === 'string') btn.block_id = b.block_id;
      if (typeof e.style === 'string') btn.style = e.style;
      if (e.confirm) btn.confirm = e.confirm;
      found.push(btn);
    }
  }
  return found;
}
