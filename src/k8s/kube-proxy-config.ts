// Pure edits of kube-proxy's config.conf (a KubeProxyConfiguration, domain §2.1). Only `mode`, `ipvs.scheduler`
// and `ipvs.strictARP` change; every other byte (comments, order, quoting, unknown fields) stays as it was,
// because edits are spliced into the original text at the ranges the YAML parser reports.
import { parseDocument, isMap, isScalar, Scalar, type Document, type Node, type YAMLMap } from 'yaml';
import { unifiedDiff } from './unified-diff.js';

export type ProxyModeValue = 'iptables' | 'ipvs' | 'nftables' | '';

export interface ProxyModeChange {
  mode: 'iptables' | 'ipvs' | 'nftables' | '';
  /** undefined = leave as is */
  scheduler?: string;
  strictARP?: boolean;
}

export interface KubeProxySettings {
  mode: ProxyModeValue;
  scheduler: string;
  strictARP: boolean;
  /** metricsBindAddress as written ('' = kube-proxy's default 127.0.0.1:10249) */
  metricsBindAddress: string;
  /** healthzBindAddress as written ('' = kube-proxy's default 0.0.0.0:10256) */
  healthzBindAddress: string;
}

export class KubeProxyConfigError extends Error {
  constructor(message: string) { super(message); this.name = 'KubeProxyConfigError'; }
}

const MODES = new Set(['', 'iptables', 'ipvs', 'nftables']);
const SCHEDULER = /^[a-z]{1,8}$/;

function parse(text: string): { doc: Document; root: YAMLMap } {
  const doc = parseDocument(text, { keepSourceTokens: false });
  if (doc.errors.length > 0) throw new KubeProxyConfigError(`config.conf is not valid YAML: ${doc.errors[0]!.message}`);
  const root = doc.contents;
  if (!isMap(root)) throw new KubeProxyConfigError('config.conf is not a YAML mapping');
  const kind: unknown = root.get('kind');
  if (kind !== 'KubeProxyConfiguration') {
    throw new KubeProxyConfigError(`config.conf has kind ${JSON.stringify(kind ?? null)}, expected KubeProxyConfiguration`);
  }
  return { doc, root };
}

export function readKubeProxySettings(text: string): KubeProxySettings {
  const { root } = parse(text);
  const mode = root.get('mode') ?? '';
  if (typeof mode !== 'string' || !MODES.has(mode)) {
    throw new KubeProxyConfigError(`config.conf has mode ${JSON.stringify(mode)}, not one of "", iptables, ipvs, nftables`);
  }
  const ipvs = root.get('ipvs');
  const scheduler = isMap(ipvs) ? ipvs.get('scheduler') ?? '' : '';
  const strictARP = isMap(ipvs) ? ipvs.get('strictARP') ?? false : false;
  const metrics = root.get('metricsBindAddress') ?? '';
  const healthz = root.get('healthzBindAddress') ?? '';
  return {
    mode: mode as ProxyModeValue,
    scheduler: typeof scheduler === 'string' ? scheduler : String(scheduler),
    strictARP: strictARP === true,
    metricsBindAddress: typeof metrics === 'string' ? metrics : '',
    healthzBindAddress: typeof healthz === 'string' ? healthz : '',
  };
}

/** The configured mode as written: '' means kube-proxy's default (iptables on Linux). */
export function readProxyMode(text: string): ProxyModeValue {
  return readKubeProxySettings(text).mode;
}

interface Edit { start: number; end: number; text: string }

/** Change mode (and optionally ipvs.scheduler / ipvs.strictARP), keeping everything else byte for byte. */
export function setProxyMode(text: string, change: ProxyModeChange): string {
  if (!MODES.has(change.mode)) throw new KubeProxyConfigError(`unknown proxy mode ${JSON.stringify(change.mode)}`);
  if (change.scheduler !== undefined && change.scheduler !== '' && !SCHEDULER.test(change.scheduler)) {
    throw new KubeProxyConfigError(`invalid IPVS scheduler ${JSON.stringify(change.scheduler)}`);
  }
  const { root } = parse(text);
  const edits: Edit[] = [];
  const ipvsWanted: [string, string | boolean][] = [];
  if (change.scheduler !== undefined) ipvsWanted.push(['scheduler', change.scheduler]);
  if (change.strictARP !== undefined) ipvsWanted.push(['strictARP', change.strictARP]);

  const rootEdit = setInMap(text, root, 'mode', change.mode);
  if (rootEdit) edits.push(rootEdit);
  if (ipvsWanted.length > 0) {
    const ipvs = root.get('ipvs', true) as Node | undefined;
    if (isMap(ipvs) && !ipvs.flow && ipvs.items.length > 0) {
      for (const [k, v] of ipvsWanted) {
        const e = setInMap(text, ipvs, k, v);
        if (e) edits.push(e);
      }
    } else if (ipvs === undefined || (isScalar(ipvs) && ipvs.value === null)) {
      // No ipvs section: add one at the root, after the first key's indentation.
      const block = 'ipvs:\n' + ipvsWanted.map(([k, v]) => `  ${k}: ${format(v, undefined)}\n`).join('');
      edits.push(insertBeforeFirstKey(text, root, block.trimEnd()));
    } else {
      return rewriteWholeDocument(text, change);
    }
  }

  const out = applyEdits(text, edits);
  assertApplied(out, change);
  return out;
}

/** Unified diff of config.conf (3 lines of context), as shown on the plan card. */
export function diffConfig(before: string, after: string): string {
  return unifiedDiff(before, after, { fromFile: 'config.conf (current)', toFile: 'config.conf (planned)' });
}

function setInMap(text: string, map: YAMLMap, key: string, value: string | boolean): Edit | undefined {
  const pair = map.items.find((p) => isScalar(p.key) && p.key.value === key);
  if (pair) {
    const v = pair.value;
    if (isScalar(v) && v.range) {
      if (v.value === value) return undefined;
      const old = text.slice(v.range[0], v.range[1]);
      return { start: v.range[0], end: v.range[1], text: format(value, old.startsWith("'") ? 'single' : old.startsWith('"') ? 'double' : undefined) };
    }
    if (v === null && isScalar(pair.key) && pair.key.range) {
      // `key:` with no value: put the value after the colon.
      const colon = text.indexOf(':', pair.key.range[1]);
      return { start: colon + 1, end: colon + 1, text: ' ' + format(value, undefined) };
    }
    throw new KubeProxyConfigError(`config.conf field ${key} is not a plain value`);
  }
  if (map.flow) throw new KubeProxyConfigError(`cannot add ${key} to a flow mapping`);
  return insertBeforeFirstKey(text, map, `${key}: ${format(value, undefined)}`);
}

function insertBeforeFirstKey(text: string, map: YAMLMap, line: string): Edit {
  const first = map.items[0];
  const start = first && isScalar(first.key) ? first.key.range?.[0] : undefined;
  if (start === undefined) throw new KubeProxyConfigError('config.conf has an empty mapping');
  const indent = ' '.repeat(start - (text.lastIndexOf('\n', start - 1) + 1));
  const body = line.split('\n').map((l, i) => (i === 0 ? l : indent + l)).join('\n');
  return { start, end: start, text: `${body}\n${indent}` };
}

function format(value: string | boolean, quote: 'single' | 'double' | undefined): string {
  if (typeof value === 'boolean') return String(value);
  if (quote === 'single') return `'${value}'`;
  if (quote === 'double' || value === '') return `"${value}"`;
  return value; // our values are [a-z]+ words, always plain-safe
}

function applyEdits(text: string, edits: Edit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

// For shapes we do not splice (e.g. `ipvs: {scheduler: rr}` as a flow map), let the library re-emit the document.
function rewriteWholeDocument(text: string, change: ProxyModeChange): string {
  const { doc } = parse(text);
  doc.set('mode', change.mode === '' ? Object.assign(new Scalar(''), { type: Scalar.QUOTE_DOUBLE }) : change.mode);
  if (change.scheduler !== undefined) doc.setIn(['ipvs', 'scheduler'], change.scheduler);
  if (change.strictARP !== undefined) doc.setIn(['ipvs', 'strictARP'], change.strictARP);
  const out = doc.toString({ lineWidth: 0 });
  assertApplied(out, change);
  return out;
}

function assertApplied(out: string, change: ProxyModeChange): void {
  const s = readKubeProxySettings(out);
  const ok = s.mode === change.mode
    && (change.scheduler === undefined || s.scheduler === change.scheduler)
    && (change.strictARP === undefined || s.strictARP === change.strictARP);
  if (!ok) throw new KubeProxyConfigError('internal: the edited config.conf does not read back as intended');
}
