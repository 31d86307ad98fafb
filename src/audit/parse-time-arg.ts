// `--since 30d` / `--until 2026-01-31T00:00:00Z`: a duration back from now, or an ISO date/time (UTC unless an
// offset is given). Shared by the CLI and the Slack command so both read time the same way.
const DURATION = /^(\d+)(s|m|h|d|w)$/;
const ISO = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?$/;
const UNIT_MS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** The furthest back a duration may reach: further is surely a typo, and far enough overflows a Date. */
export const MAX_LOOKBACK = '36500d';
const MAX_LOOKBACK_MS = 36500 * UNIT_MS.d!;

/** A duration back from now ("30d") → ms, or a sentence saying what is wrong (unit, zero, beyond MAX_LOOKBACK). */
export function parseLookback(text: string): { ok: true; ms: number } | { ok: false; error: string } {
  const d = DURATION.exec(text.trim());
  if (!d) return { ok: false, error: 'use a duration like 30d, 12h or 2w' };
  const ms = Number(d[1]) * (UNIT_MS[d[2]!] ?? 0);
  if (!(ms > 0)) return { ok: false, error: 'must be more than zero' };
  if (ms > MAX_LOOKBACK_MS) return { ok: false, error: `must be at most ${MAX_LOOKBACK} (100 years); leave it out to export everything` };
  return { ok: true, ms };
}

/** Returns the instant, or undefined when the text is neither form (or a duration beyond MAX_LOOKBACK). */
export function parseTimeArg(text: string, now: Date = new Date()): Date | undefined {
  const t = text.trim();
  if (DURATION.test(t)) {
    const d = parseLookback(t);
    return d.ok ? new Date(now.getTime() - d.ms) : undefined;
  }
  if (!ISO.test(t)) return undefined;
  // A bare date or a time without an offset means UTC (audit timestamps are UTC).
  const withZone = /T|\s/.test(t) && !/(Z|[+-]\d{2}:?\d{2})$/.test(t) ? `${t.replace(' ', 'T')}Z` : t.replace(' ', 'T');
  const ms = Date.parse(withZone);
  return Number.isNaN(ms) ? undefined : new Date(ms);
}
