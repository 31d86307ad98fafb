// Pure parser for `/ipvs …` text. Never throws: every input becomes a command or a person-readable error with
// the usage of the subcommand it was aimed at.
import { z } from 'zod';
import { IpvsScheduler, PlanInput, ProxyMode } from '../workflows/kube-proxy-mode/api.js';
import { parseLookback } from '../audit/parse-time-arg.js';
import { parseDuration } from '../config.js';
import type { FleetSelector } from '../workflows/fleet/fleet-service.js';

export type IpvsCommand =
  | { kind: 'help' }
  | { kind: 'plan'; cluster: string; input: PlanInput; rehearse?: false }
  | { kind: 'plan-fleet'; selector: FleetSelector; input: PlanInput }
  | { kind: 'fleet'; csv: boolean }
  | { kind: 'status'; target?: string }
  | { kind: 'rollback'; target: string }
  | { kind: 'cancel'; runId: string }
  | { kind: 'decide'; runId: string; decision: 'continue' | 'rollback' | 'abort'; note?: string }
  | { kind: 'clusters' }
  | { kind: 'audit-export'; cluster?: string; since?: string; sinceMs?: number; format: 'jsonl' | 'csv' }
  | { kind: 'audit-verify' };

export type ParseResult = { ok: true; command: IpvsCommand } | { ok: false; error: string; usage: string };

export const USAGE: Record<string, string> = {
  plan: '/ipvs plan <cluster> [--mode ipvs|iptables|nftables] [--scheduler rr|wrr|lc|sh|…] [--strict-arp] [--batch N|N%] [--cleanup targeted|kube-proxy|none] [--no-auto-rollback] [--no-rehearse]',
  status: '/ipvs status [cluster|run-id]',
  rollback: '/ipvs rollback <cluster|run-id>',
  cancel: '/ipvs cancel <run-id>',
  decide: '/ipvs decide <run-id> continue|rollback|abort [note]',
  clusters: '/ipvs clusters',
  fleet: '/ipvs fleet [--csv]  ·  /ipvs plan --clusters a,b,dev-* | --fleet [plan options]   (one plan per cluster, in waves)',
  audit: '/ipvs audit export [cluster] [--since 30d] [--format jsonl|csv]  ·  /ipvs audit verify',
  help: '/ipvs help',
};
export const FULL_USAGE = Object.values(USAGE).join('\n');

const Name = z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
const Target = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/);
const MAX_TEXT = 1_000;

/** Quotes user text safely: no mentions/links (<…>), no breaking out of the code span. */
function q(s: string, max: number): string {
  return s.slice(0, max).replace(/`/g, "'").replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function fail(error: string, sub?: string): ParseResult {
  return { ok: false, error, usage: sub && USAGE[sub] ? USAGE[sub] : FULL_USAGE };
}

/** Splits into words and --flags; `--flag=value` becomes ['--flag', 'value']. Slack turns "--" into "—" sometimes. */
export function tokenize(text: string): string[] {
  return text.replace(/[\u2014\u2013]/g, '--').trim().split(/\s+/).filter(Boolean)
    .flatMap((t) => (t.startsWith('--') && t.includes('=') ? [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)] : [t]));
}

type Flags = { positional: string[]; flags: Map<string, string | true> };

function splitFlags(tokens: string[], valued: Set<string>, bare: Set<string>, sub: string): Flags | ParseResult {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (!t.startsWith('-')) { positional.push(t); continue; }
    if (bare.has(t)) { flags.set(t, true); continue; }
    if (valued.has(t)) {
      const v = tokens[i + 1];
      if (v === undefined || v.startsWith('--')) return fail(`\`${t}\` needs a value.`, sub);
      if (flags.has(t)) return fail(`\`${t}\` is given twice.`, sub);
      flags.set(t, v); i++; continue;
    }
    return fail(`Unknown option \`${q(t, 40)}\`.`, sub);
  }
  return { positional, flags };
}

function isFail(x: Flags | ParseResult): x is ParseResult { return 'ok' in x; }

function parsePlan(rest: string[]): ParseResult {
  const f = splitFlags(rest, new Set(['--mode', '--scheduler', '--batch', '--cleanup', '--clusters']), new Set(['--strict-arp', '--no-auto-rollback', '--fleet', '--no-rehearse']), 'plan');
  if (isFail(f)) return f;
  const [cluster, ...extra] = f.positional;
  const selector = fleetSelector(f, cluster);
  if (selector && 'ok' in selector) return selector;
  if (!cluster && !selector) return fail('Which cluster? Name one from `/ipvs clusters`.', 'plan');
  if (cluster && !Name.safeParse(cluster).success) return fail(`\`${q(cluster, 64)}\` is not a cluster name (lower-case letters, digits and "-").`, 'plan');
  if (extra.length > 0) return fail(`Unexpected \`${q(extra[0]!, 40)}\`: plan takes one cluster.`, 'plan');
  const raw: Record<string, unknown> = {};
  const mode = f.flags.get('--mode');
  if (typeof mode === 'string') {
    if (!ProxyMode.safeParse(mode).success) return fail(`\`--mode ${q(mode, 20)}\`: use one of ${ProxyMode.options.join(', ')}.`, 'plan');
    raw.targetMode = mode;
  }
  const sched = f.flags.get('--scheduler');
  if (typeof sched === 'string') {
    if (!IpvsScheduler.safeParse(sched).success) return fail(`\`--scheduler ${q(sched, 20)}\`: use one of ${IpvsScheduler.options.join(', ')}.`, 'plan');
    raw.scheduler = sched;
  }
  const batch = f.flags.get('--batch');
  if (typeof batch === 'string') {
    const pct = /^(\d{1,3})%$/.exec(batch);
    if (pct && Number(pct[1]) >= 1 && Number(pct[1]) <= 100) raw.batch = `${Number(pct[1])}%`;
    else if (/^\d{1,5}$/.test(batch) && Number(batch) >= 1) raw.batch = Number(batch);
    else return fail(`\`--batch ${q(batch, 20)}\`: give a node count (e.g. 5) or a percentage from 1% to 100%.`, 'plan');
  }
  const cleanup = f.flags.get('--cleanup');
  if (typeof cleanup === 'string') {
    if (!['targeted', 'kube-proxy', 'none'].includes(cleanup)) return fail(`\`--cleanup ${q(cleanup, 20)}\`: use targeted, kube-proxy or none.`, 'plan');
    raw.cleanup = cleanup;
  }
  if (f.flags.has('--strict-arp')) raw.strictArp = true;
  if (f.flags.has('--no-auto-rollback')) raw.autoRollback = false;
  const input = PlanInput.safeParse(raw);
  if (!input.success) return fail(`Invalid options: ${input.error.issues.map((i) => i.message).join('; ')}`, 'plan');
  if (selector) return { ok: true, command: { kind: 'plan-fleet', selector, input: input.data } };
  return { ok: true, command: { kind: 'plan', cluster: cluster!, input: input.data, ...(f.flags.has('--no-rehearse') ? { rehearse: false as const } : {}) } };
}

const Glob = /^[a-z0-9*?]([a-z0-9*?-]{0,61}[a-z0-9*?])?$/;

/** `--clusters a,b,dev-*` or `--fleet` (not both, and not with a positional cluster); undefined = a one-cluster plan. */
function fleetSelector(f: Flags, cluster: string | undefined): FleetSelector | ParseResult | undefined {
  const list = f.flags.get('--clusters');
  const all = f.flags.has('--fleet');
  if (list === undefined && !all) return undefined;
  if (cluster) return fail('Name the clusters either as `<cluster>` or with `--clusters`/`--fleet`, not both.', 'plan');
  if (all && list !== undefined) return fail('Use `--clusters` or `--fleet`, not both.', 'plan');
  if (all) return { needsMove: true };
  const names = String(list).split(',').map((n) => n.trim()).filter(Boolean);
  const bad = names.find((n) => !Glob.test(n));
  if (!names.length || bad !== undefined) return fail(`\`--clusters ${q(String(bad ?? list), 64)}\`: give cluster names or patterns separated by commas (e.g. dev-1,staging-*).`, 'plan');
  if (names.length > 100) return fail('`--clusters`: at most 100 names.', 'plan');
  return { names };
}

function parseAudit(rest: string[]): ParseResult {
  const [verb, ...args] = rest;
  if (verb === 'verify') {
    if (args.length > 0) return fail('`audit verify` takes no arguments.', 'audit');
    return { ok: true, command: { kind: 'audit-verify' } };
  }
  if (verb !== 'export') return fail(verb ? `Unknown audit action \`${q(verb, 40)}\`.` : 'Say `export` or `verify`.', 'audit');
  const f = splitFlags(args, new Set(['--since', '--format']), new Set(), 'audit');
  if (isFail(f)) return f;
  if (f.positional.length > 1) return fail(`Unexpected \`${q(f.positional[1]!, 40)}\`.`, 'audit');
  const cluster = f.positional[0];
  if (cluster !== undefined && !Name.safeParse(cluster).success) return fail(`\`${q(cluster, 64)}\` is not a cluster name.`, 'audit');
  const format = f.flags.get('--format') ?? 'jsonl';
  if (format !== 'jsonl' && format !== 'csv') return fail(`\`--format ${q(String(format), 20)}\`: use jsonl or csv.`, 'audit');
  const cmd: IpvsCommand = { kind: 'audit-export', format };
  if (cluster !== undefined) cmd.cluster = cluster;
  const since = f.flags.get('--since');
  if (typeof since === 'string') {
    // Bounded (parse-time-arg.ts): an unbounded one acked and then failed with "Invalid time value".
    const d = parseLookback(since);
    if (!d.ok) return fail(`\`--since ${q(since, 20)}\`: ${d.error}.`, 'audit');
    cmd.since = since; cmd.sinceMs = d.ms;
  }
  return { ok: true, command: cmd };
}

function oneTarget(rest: string[], sub: 'status' | 'rollback' | 'cancel', required: boolean): ParseResult | { target?: string } {
  const flag = rest.find((t) => t.startsWith('-'));
  if (flag) return fail(`Unknown option \`${q(flag, 40)}\`.`, sub);
  if (rest.length > 1) return fail(`Unexpected \`${q(rest[1]!, 40)}\`: ${sub} takes one ${sub === 'cancel' ? 'run id' : 'cluster or run id'}.`, sub);
  const t = rest[0];
  if (t === undefined) return required ? fail(sub === 'cancel' ? 'Which run? Give its run id (see `/ipvs status`).' : 'Which cluster or run?', sub) : {};
  if (!Target.safeParse(t).success) return fail(`\`${q(t, 64)}\` is not a cluster name or run id.`, sub);
  return { target: t };
}

/** `decide <run-id> continue|rollback|abort [note…]`: the note is the rest of the text (escaped where posted). */
function parseDecide(rest: string[]): ParseResult {
  const [runId, decision, ...note] = rest;
  if (runId === undefined) return fail('Which run? Give its run id (see `/ipvs status`).', 'decide');
  if (!Target.safeParse(runId).success) return fail(`\`${q(runId, 64)}\` is not a run id.`, 'decide');
  const d = decision?.toLowerCase();
  if (d !== 'continue' && d !== 'rollback' && d !== 'abort') {
    return fail(decision === undefined ? 'Which decision? continue, rollback or abort.' : `\`${q(decision, 40)}\` is not a decision: continue, rollback or abort.`, 'decide');
  }
  const text = note.join(' ').trim().slice(0, 500);
  return { ok: true, command: { kind: 'decide', runId, decision: d, ...(text ? { note: text } : {}) } };
}

export function parseIpvsCommand(text: string): ParseResult {
  if (text.length > MAX_TEXT) return fail(`That command is too long (${text.length} characters; the limit is ${MAX_TEXT}).`);
  const [sub, ...rest] = tokenize(text);
  switch ((sub ?? 'help').toLowerCase()) {
    case 'help': case '-h': case '--help':
      return { ok: true, command: { kind: 'help' } };
    case 'plan': return parsePlan(rest);
    case 'fleet': {
      const csv = rest.length === 1 && rest[0] === '--csv';
      return rest.length === 0 || csv ? { ok: true, command: { kind: 'fleet', csv } } : fail(`Unexpected \`${q(rest.find((r) => r !== '--csv') ?? '', 40)}\`: fleet takes only --csv.`, 'fleet');
    }
    case 'clusters':
      return rest.length > 0 ? fail('`clusters` takes no arguments.', 'clusters') : { ok: true, command: { kind: 'clusters' } };
    case 'status': {
      const r = oneTarget(rest, 'status', false);
      if ('ok' in r) return r;
      return { ok: true, command: r.target !== undefined ? { kind: 'status', target: r.target } : { kind: 'status' } };
    }
    case 'rollback': {
      const r = oneTarget(rest, 'rollback', true);
      return 'ok' in r ? r : { ok: true, command: { kind: 'rollback', target: r.target! } };
    }
    case 'cancel': {
      const r = oneTarget(rest, 'cancel', true);
      return 'ok' in r ? r : { ok: true, command: { kind: 'cancel', runId: r.target! } };
    }
    case 'audit': return parseAudit(rest);
    case 'decide': return parseDecide(rest);
    default:
      return fail(`Unknown subcommand \`${q(sub!, 40)}\`.`);
  }
}
