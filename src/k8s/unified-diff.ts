// A small line-based unified diff (LCS), enough for config files of a few hundred lines.

export interface DiffOptions { fromFile?: string; toFile?: string; context?: number }

type Op = { t: ' ' | '-' | '+'; line: string; a: number; b: number };

export function unifiedDiff(before: string, after: string, opts: DiffOptions = {}): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = diffOps(a, b);
  const ctx = opts.context ?? 3;
  const out = [`--- ${opts.fromFile ?? 'a'}`, `+++ ${opts.toFile ?? 'b'}`];
  let i = 0;
  while (i < ops.length) {
    if (ops[i]!.t === ' ') { i++; continue; }
    let start = Math.max(0, i - ctx);
    let end = i;
    // extend the hunk while changes are closer than 2*ctx lines apart
    for (let j = i; j < ops.length; j++) {
      if (ops[j]!.t !== ' ') end = j;
      else if (j - end > 2 * ctx) break;
    }
    const stop = Math.min(ops.length, end + ctx + 1);
    const hunk = ops.slice(start, stop);
    const aStart = hunk.find((o) => o.t !== '+')?.a ?? hunk[0]!.a;
    const bStart = hunk.find((o) => o.t !== '-')?.b ?? hunk[0]!.b;
    const aLen = hunk.filter((o) => o.t !== '+').length;
    const bLen = hunk.filter((o) => o.t !== '-').length;
    out.push(`@@ -${aLen === 0 ? aStart : aStart + 1},${aLen} +${bLen === 0 ? bStart : bStart + 1},${bLen} @@`);
    for (const o of hunk) out.push(o.t + o.line);
    i = stop;
    start = stop;
  }
  return out.join('\n') + '\n';
}

function splitLines(s: string): string[] {
  const lines = s.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

function diffOps(a: string[], b: string[]): Op[] {
  const n = a.length;
  const m = b.length;
  // lcs[i][j] = LCS length of a[i:] and b[j:]
  const lcs: Uint32Array[] = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) { ops.push({ t: ' ', line: a[i]!, a: i, b: j }); i++; j++; }
    else if (j < m && (i >= n || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) { ops.push({ t: '+', line: b[j]!, a: i, b: j }); j++; }
    else { ops.push({ t: '-', line: a[i]!, a: i, b: j }); i++; }
  }
  // Show removals before additions within a change block, as diff(1) does.
  for (let k = 0; k < ops.length; k++) {
    if (ops[k]!.t === ' ') continue;
    let e = k;
    while (e < ops.length && ops[e]!.t !== ' ') e++;
    const block = ops.slice(k, e);
    const sorted = [...block.filter((o) => o.t === '-'), ...block.filter((o) => o.t === '+')];
    ops.splice(k, block.length, ...sorted);
    k = e;
  }
  return ops;
}
