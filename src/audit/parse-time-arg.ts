// `--since 30d` / `--until 2026-01-31T00:00:00Z`: a duration back from now, or an ISO date/time (UTC unless an
// offset is given). Shared by the CLI and the Slack command so both read time the same way.
const DURATION = /^(\d+)(s|m|h|d|w)$/;
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Returns the instant, or undefined when the text is neither form. */
export function parseTimeArg(text: string, now: Date = new Date()): Date | undefined {
  const t = text.trim();
  const d = DURATION.exec(t);
  if (d) return new Date(now.getTime() - Number(d[1]) * (UNIT_MS[d[2]!] ?? 0));
  if (!ISO.test(t)) return undefined;
  // A bare date or a time without an offset means UTC (audit timestamps are UTC).
  const withZone = /T|\s/.test(t) && !/(Z|[+-]\d{2}:?\d{2})$/.test(t) ? `${t.replace(' ', 'T')}Z` : t.replace(' ', 'T');
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
