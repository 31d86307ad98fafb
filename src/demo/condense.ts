// The demo prints the channel as text; long code blocks (node tables of big clusters) drown the story on a
// terminal, so they are cut to their first lines. A ```diff block is the change the approver approves: kept whole.
export function condenseCodeBlocks(transcript: string, keep = 6): string {
  const out: string[] = [];
  let inBlock = false;
  let kept = 0;
  let dropped = 0;
  let prefix = '';
  let whole = false;
  for (const line of transcript.split('\n')) {
    const m = /^(\s*(?:↳\s*)?)```/.exec(line);
    if (m) {
      if (inBlock && dropped > 0) out.push(`${prefix}… (${dropped} more lines)`);
      inBlock = !inBlock;
      whole = inBlock && line.slice(m[0].length).startsWith('diff');
      kept = 0;
      dropped = 0;
      prefix = m[1] ?? '';
      out.push(line);
      continue;
    }
    if (inBlock && !whole && ++kept > keep) { dropped++; continue; }
    out.push(line);
  }
  return out.join('\n');
}
