// The per-cluster gate keys of ipvs-bot.yaml (issue #12 items 4, 5): `prometheus`, `window`, `alertmanager`.
// Schemas live here (config.ts plugs them in) so that every rule about a gate sits next to the gate.
import { z } from 'zod';
import { parseSelector, type Matcher } from './matchers.js';
import { parseHours, validTimeZone, WEEKDAYS, type Weekday } from './window.js';

export interface SloCheck {
  name: string;
  query: string;
  /** Fails when a value is above max (or below min) for `forMs` in a row (0: any one sample). */
  max?: number;
  min?: number;
  forMs: number;
}
export interface PrometheusGate { url: string; checks: SloCheck[] }
export interface MaintenanceWindow { days: Weekday[]; hours: string; startMin: number; endMin: number; timeZone: string }
export interface AlertmanagerGate {
  url: string;
  /** Any one selector with a firing (not silenced, not inhibited) alert pauses the run. */
  block: { text: string; matchers: Matcher[] }[];
  /** Matchers of the silence made for each node's restart; `{{node}}` in a value is the node's name. */
  silence: Matcher[];
  /** How long each silence lasts at most (it is expired once the node verified). */
  silenceForMs: number;
}

const HttpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).transform((u) => u.replace(/\/+$/, ''));

const Selector = z.string().transform((text, ctx) => {
  const r = parseSelector(text);
  if (typeof r === 'string') { ctx.addIssue({ code: 'custom', message: r }); return z.NEVER; }
  return { text: text.trim(), matchers: r };
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function PrometheusYaml(duration: z.ZodType<number, any>) {
  const Check = z.object({
    name: z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, ".", "_" or "-"'),
    query: z.string().trim().min(1, 'must not be empty'),
    max: z.number().finite().optional(),
    min: z.number().finite().optional(),
    for: duration.optional(),
  }).strict().superRefine((c, ctx) => {
    if ((c.max === undefined) === (c.min === undefined)) ctx.addIssue({ code: 'custom', message: 'must set exactly one of max or min', path: [] });
  }).transform((c): SloCheck => ({
    name: c.name, query: c.query, forMs: c.for ?? 0, ...(c.max !== undefined ? { max: c.max } : {}), ...(c.min !== undefined ? { min: c.min } : {}),
  }));
  return z.object({ url: HttpUrl, checks: z.array(Check).min(1, 'must list at least one check') }).strict()
    .superRefine((p, ctx) => {
      const seen = new Set<string>();
      p.checks.forEach((c, i) => {
        if (seen.has(c.name)) ctx.addIssue({ code: 'custom', message: `duplicate check name "${c.name}"`, path: ['checks', i, 'name'] });
        seen.add(c.name);
      });
    });
}

export const WindowYaml = z.object({
  days: z.array(z.enum(WEEKDAYS, { error: `must be one of ${WEEKDAYS.join(', ')}` })).min(1, 'must name at least one day').default([...WEEKDAYS]),
  hours: z.string(),
  timeZone: z.string().default('UTC'),
}).strict().transform((w, ctx): MaintenanceWindow => {
  const h = parseHours(w.hours);
  if (typeof h === 'string') ctx.addIssue({ code: 'custom', message: h, path: ['hours'] });
  if (!validTimeZone(w.timeZone)) ctx.addIssue({ code: 'custom', message: `"${w.timeZone}" is not an IANA time zone (e.g. "Europe/Berlin")`, path: ['timeZone'] });
  if (typeof h === 'string') return z.NEVER;
  return { days: [...new Set(w.days)], hours: w.hours.trim(), startMin: h.startMin, endMin: h.endMin, timeZone: w.timeZone };
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function AlertmanagerYaml(duration: z.ZodType<number, any>) {
  return z.object({
    url: HttpUrl,
    block: z.array(Selector).default([]),
    silence: z.array(Selector).default([]),
    silenceFor: duration.optional(),
  }).strict().transform((a): AlertmanagerGate => ({
    url: a.url, block: a.block, silence: a.silence.flatMap((s) => s.matchers), silenceForMs: a.silenceFor ?? 30 * 60_000,
  }));
}
