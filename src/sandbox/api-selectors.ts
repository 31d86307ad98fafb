// Label and field selectors with the apiserver's parse errors (fixtures nodes/list-labelSelector-invalid.json,
// nodes/list-fieldSelector-unsupported.json). Parsed selectors are cached: watches and lists reuse the same strings.

export class SelectorError extends Error {}

type Req = { key: string; op: 'eq' | 'neq' | 'in' | 'notin' | 'exists' | '!exists' | 'gt' | 'lt'; values: string[] };

const labelCache = new Map<string, Req[]>();

function tokenize(s: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    const c = s[i]!;
    if (c === ' ' || c === '\t') { i++; continue; }
    if (c === '(' || c === ')' || c === ',') { out.push(c); i++; continue; }
    if (c === '!' && s[i + 1] === '=') { out.push('!='); i += 2; continue; }
    if (c === '=' && s[i + 1] === '=') { out.push('=='); i += 2; continue; }
    if (c === '=' || c === '!') { out.push(c); i++; continue; }
    let j = i;
    while (j < s.length && !' \t(),=!'.includes(s[j]!)) j++;
    out.push(s.slice(i, j));
    i = j;
  }
  return out;
}

const isOp = (t: string | undefined) => t !== undefined && ['=', '==', '!=', 'in', 'notin', 'gt', 'lt'].includes(t);
const isWord = (t: string | undefined) => t !== undefined && !['(', ')', ',', '=', '==', '!=', '!'].includes(t);

export function parseLabelSelector(selector: string): Req[] {
  const hit = labelCache.get(selector);
  if (hit) return hit;
  const toks = tokenize(selector);
  const reqs: Req[] = [];
  let i = 0;
  const fail = (msg: string): never => { throw new SelectorError(`unable to parse requirement: ${msg}`); };
  while (i < toks.length) {
    if (toks[i] === '!') {
      const key = toks[i + 1];
      if (!isWord(key)) fail(`found '${key ?? ''}', expected: identifier`);
      reqs.push({ key: key!, op: '!exists', values: [] });
      i += 2;
    } else {
      const key = toks[i];
      if (!isWord(key)) fail(`found '${key ?? ''}', expected: !, identifier, or 'end of string'`);
      const op = toks[i + 1];
      if (op === undefined || op === ',') { reqs.push({ key: key!, op: 'exists', values: [] }); i += 1; }
      else if (!isOp(op)) fail(`found '${op}', expected: in, notin, =, ==, !=, gt, lt`);
      else if (op === 'in' || op === 'notin') {
        if (toks[i + 2] !== '(') fail(`found '${toks[i + 2] ?? ''}', expected: '('`);
        const values: string[] = [];
        let j = i + 3;
        while (j < toks.length && toks[j] !== ')') { if (toks[j] !== ',') values.push(toks[j]!); j++; }
        if (toks[j] !== ')') fail(`found '', expected: ')'`);
        reqs.push({ key: key!, op, values });
        i = j + 1;
      } else {
        const v = toks[i + 2];
        const val = v === undefined || v === ',' ? '' : v;
        if (!isWord(val) && val !== '') fail(`found '${val}', expected: identifier`);
        reqs.push({ key: key!, op: op === '!=' ? 'neq' : op === 'gt' ? 'gt' : op === 'lt' ? 'lt' : 'eq', values: [val] });
        i += val === '' ? 2 : 3;
      }
    }
    if (i < toks.length) {
      if (toks[i] !== ',') fail(`found '${toks[i]}', expected: ',' or 'end of string'`);
      i++;
    }
  }
  if (labelCache.size > 1000) labelCache.clear();
  labelCache.set(selector, reqs);
  return reqs;
}

function matchReqs(labels: Record<string, string> | undefined, reqs: Req[]): boolean {
  for (const r of reqs) {
    const v = labels?.[r.key];
    switch (r.op) {
      case 'eq': if (v !== r.values[0]) return false; break;
      case 'neq': if (v === r.values[0]) return false; break;
      case 'in': if (v === undefined || !r.values.includes(v)) return false; break;
      case 'notin': if (v !== undefined && r.values.includes(v)) return false; break;
      case 'exists': if (v === undefined) return false; break;
      case '!exists': if (v !== undefined) return false; break;
      case 'gt': if (v === undefined || !(Number(v) > Number(r.values[0]))) return false; break;
      case 'lt': if (v === undefined || !(Number(v) < Number(r.values[0]))) return false; break;
    }
  }
  return true;
}

/** Throws SelectorError on a selector the apiserver would reject. */
export function matchesLabelSelector(labels: Record<string, string> | undefined, selector: string): boolean {
  if (!selector) return true;
  return matchReqs(labels, parseLabelSelector(selector));
}

type FieldReq = { path: string; neg: boolean; value: string };

// Field labels each resource supports in 1.28 (metadata.name/namespace everywhere).
const FIELDS: Record<string, string[]> = {
  pods: ['spec.nodeName', 'spec.restartPolicy', 'spec.schedulerName', 'spec.serviceAccountName', 'spec.hostNetwork',
    'status.phase', 'status.podIP', 'status.podIPs', 'status.nominatedNodeName'],
  nodes: ['spec.unschedulable'],
  namespaces: ['status.phase'],
  events: ['involvedObject.kind', 'involvedObject.namespace', 'involvedObject.name', 'involvedObject.uid',
    'involvedObject.apiVersion', 'involvedObject.resourceVersion', 'involvedObject.fieldPath', 'reason',
    'reportingComponent', 'source', 'type'],
  jobs: ['status.successful'],
  replicasets: ['status.replicas'],
};

export function parseFieldSelector(resource: string, selector: string): FieldReq[] {
  const out: FieldReq[] = [];
  for (const part of selector.split(',')) {
    if (!part.trim()) continue;
    const m = /^\s*([^!=\s]+)\s*(!=|==|=)\s*(.*?)\s*$/.exec(part);
    if (!m) throw new SelectorError(`invalid selector: '${selector}'; can't understand '${part}'`);
    const path = m[1]!;
    if (path !== 'metadata.name' && path !== 'metadata.namespace' && !(FIELDS[resource] ?? []).includes(path)) {
      throw new SelectorError(`field label not supported: ${path}`);
    }
    out.push({ path, neg: m[2] === '!=', value: m[3]! });
  }
  return out;
}

function fieldValue(obj: Record<string, unknown>, path: string): string {
  if (path === 'source') path = 'source.component';
  if (path === 'status.successful') path = 'status.succeeded';
  let cur: unknown = obj;
  for (const p of path.split('.')) cur = cur && typeof cur === 'object' ? (cur as Record<string, unknown>)[p] : undefined;
  if (path === 'spec.unschedulable' || path === 'spec.hostNetwork') return String(cur === true);
  if (path === 'status.successful' || path === 'status.replicas' || path === 'status.succeeded') return String(cur ?? 0);
  return cur === undefined || cur === null ? '' : String(cur);
}

export function matchesFields(obj: Record<string, unknown>, reqs: FieldReq[]): boolean {
  for (const r of reqs) {
    const v = fieldValue(obj, r.path);
    if (r.neg ? v === r.value : v !== r.value) return false;
  }
  return true;
}
