// Maintenance windows: days + "HH:MM-HH:MM" in an IANA time zone, evaluated with Intl (no dependency). A window
// whose end is before its start runs over midnight and belongs to the day it starts on ("fri 22:00-06:00").

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = typeof WEEKDAYS[number];

export interface WindowSpec { days: readonly Weekday[]; startMin: number; endMin: number; timeZone: string }

export function parseHours(text: string): { startMin: number; endMin: number } | string {
  const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(text);
  if (!m) return 'must be "HH:MM-HH:MM", e.g. "09:00-17:00"';
  const [sh, sm, eh, em] = [m[1], m[2], m[3], m[4]].map(Number) as [number, number, number, number];
  if (sh > 23 || sm > 59 || em > 59 || eh > 24 || (eh === 24 && em > 0)) return 'must be times between 00:00 and 24:00';
  const startMin = sh * 60 + sm;
  const endMin = eh * 60 + em;
  if (startMin === endMin) return 'must not start and end at the same time (use "00:00-24:00" for the whole day)';
  return { startMin, endMin };
}

export function validTimeZone(tz: string): boolean {
  try { new Intl.DateTimeFormat('en-US', { timeZone: tz }); return true; } catch { return false; }
}

const formatters = new Map<string, Intl.DateTimeFormat>();
function fmt(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, weekday: 'short', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' });
    formatters.set(tz, f);
  }
  return f;
}

/** The wall-clock weekday and minute of the day at `ms` in `tz`. */
export function localTime(ms: number, tz: string): { day: Weekday; minute: number } {
  const parts = fmt(tz).formatToParts(new Date(ms));
  const get = (t: string) => parts.find((p) => p.type === t)?.value ?? '';
  const day = get('weekday').toLowerCase().slice(0, 3) as Weekday;
  return { day, minute: (Number(get('hour')) % 24) * 60 + Number(get('minute')) };
}

const prevDay = (d: Weekday): Weekday => WEEKDAYS[(WEEKDAYS.indexOf(d) + 6) % 7]!;

export function isOpen(w: WindowSpec, ms: number): boolean {
  const { day, minute } = localTime(ms, w.timeZone);
  if (w.startMin < w.endMin) return w.days.includes(day) && minute >= w.startMin && minute < w.endMin;
  return (w.days.includes(day) && minute >= w.startMin) || (w.days.includes(prevDay(day)) && minute < w.endMin);
}

const MIN = 60_000;

/** The first minute at or after `ms` when the window is open (within 8 days; undefined if never). */
export function nextOpening(w: WindowSpec, ms: number): number | undefined {
  let t = Math.ceil(ms / MIN) * MIN;
  if (isOpen(w, ms)) return ms;
  // Jump to the next local start time (at most one per day); DST shifts are corrected by stepping back below.
  for (let i = 0; i < 20 && t < ms + 8 * 1440 * MIN; i++) {
    if (isOpen(w, t)) {
      while (t - MIN > ms && isOpen(w, t - MIN)) t -= MIN;
      return t;
    }
    const { minute } = localTime(t, w.timeZone);
    const ahead = (w.startMin - minute + 1440) % 1440;
    t += (ahead === 0 ? 1440 : ahead) * MIN;
  }
  return undefined;
}

/** "Tue 09:00 Europe/Berlin". */
export function describeInstant(ms: number, tz: string): string {
  const { day, minute } = localTime(ms, tz);
  const hh = String(Math.floor(minute / 60)).padStart(2, '0');
  const mm = String(minute % 60).padStart(2, '0');
  return `${day[0]!.toUpperCase()}${day.slice(1)} ${hh}:${mm} ${tz}`;
}

export function describeWindow(w: WindowSpec & { hours?: string }): string {
  const days = w.days.length === 7 ? 'every day' : w.days.join(', ');
  const hm = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;
  return `${days} ${hm(w.startMin)}-${hm(w.endMin)} ${w.timeZone}`;
}
