// Alertmanager label matchers as operators write them: `alertname="KubeProxyDown"`, `severity=~"critical|page"`,
// `{cluster="prod", team!="x"}`. Grammar as Alertmanager's pkg/labels/parse.go: name, one of = != =~ !~, value
// (quoted or bare); a selector is matchers joined by commas, optionally in braces.

export interface Matcher { name: string; value: string; isRegex: boolean; isEqual: boolean }

const ONE = /^\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^,"\s{}]+))\s*$/;

/** Splits on commas outside double quotes. */
function splitTop(text: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && quoted) { cur += ch + (text[i + 1] ?? ''); i++; continue; }
    if (ch === '"') quoted = !quoted;
    if (ch === ',' && !quoted) { out.push(cur); cur = ''; continue; }
    cur += ch;
  }
  out.push(cur);
  return out.filter((s) => s.trim() !== '');
}

/** A selector → matchers, or an error sentence for the config check. */
export function parseSelector(text: string): Matcher[] | string {
  let body = text.trim();
  if (body.startsWith('{')) {
    if (!body.endsWith('}')) return 'must close its "{" with "}"';
    body = body.slice(1, -1);
  }
  const parts = splitTop(body);
  if (parts.length === 0) return 'must name at least one matcher, e.g. alertname="KubeProxyDown"';
  const out: Matcher[] = [];
  for (const p of parts) {
    const m = ONE.exec(p);
    if (!m) return `"${p.trim()}" is not a matcher like name="value", name!="value", name=~"regex" or name!~"regex"`;
    const value = m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[4]!;
    if (m[2]!.includes('~')) {
      try { new RegExp(`^(?:${value})$`); } catch { return `"${value}" is not a valid regular expression`; }
    }
    out.push({ name: m[1]!, value, isRegex: m[2]!.includes('~'), isEqual: !m[2]!.startsWith('!') });
  }
  return out;
}

/** The filter parameter text Alertmanager's API v2 takes for one matcher. */
export function matcherText(m: Matcher): string {
  const op = m.isRegex ? (m.isEqual ? '=~' : '!~') : (m.isEqual ? '=' : '!=');
  return `${m.name}${op}${JSON.stringify(m.value)}`;
}

export function selectorText(ms: readonly Matcher[]): string {
  return `{${ms.map(matcherText).join(', ')}}`;
}
