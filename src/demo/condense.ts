// The demo prints the channel as text; node results carry their whole JSON in the thread (as in Slack, where it
// is one click away). On a terminal that drowns the story, so long code blocks are cut to their first lines.
export function condenseCodeBlocks(transcript: string, keep = 6): string {
  const out: string[] = [];
  let inBlock = false;
  let kept = 0;
  let dropped = 0;
  let prefix = '';
  for (const line of transcript.split('\n')) {
    const m = /^(\s*(?:↳\s*)?)```/.exec(line);
    if (m) {
      if (inBlock && dropped > 0) out.push(`${prefix}… (${dropped} more lines)`);
      inBlock = !inBlock;
      kept = 0;
      dropped = 0;
      prefix = m[1] ?? '';
      out.push(line);
      continue;
    }
    if (inBlock && ++kept > keep) { dropped++; continue; }
    out.push(line);
  }
  return out.join('\n');
}
