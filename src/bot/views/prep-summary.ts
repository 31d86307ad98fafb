// The one thread reply for the prep phase (and the steps before the first node restarts): counts first, then only
// the nodes with something to say (failed, modules missing, warnings, non-Kubernetes IPVS services), then the
// run's notes (snapshot saved, config.conf switched). Each node's full JSON is in the audit log.
import { context, esc, section, truncate, type Block } from './text.js';
import type { NodeEvent } from './node-result.js';

export const PREP_NODES_LISTED = 20;

type R = Record<string, unknown>;

function remarks(r: R): string[] {
  const out: string[] = [];
  const errors = Array.isArray(r.errors) ? r.errors.map(String) : [];
  if (errors.length) out.push(errors.slice(0, 3).join('; '));
  const modules = r.modules && typeof r.modules === 'object' ? Object.entries(r.modules as R).filter(([, v]) => v !== 'loaded').map(([k]) => k) : [];
  if (modules.length) out.push(`modules missing: ${modules.join(', ')}`);
  const warnings = Array.isArray(r.warnings) ? r.warnings.map(String) : [];
  if (warnings.length) out.push(warnings.slice(0, 3).join('; '));
  if (typeof r.foreignIpvsServicesCount === 'number' && r.foreignIpvsServicesCount > 0) out.push(`${r.foreignIpvsServicesCount} IPVS services not created by Kubernetes (left alone)`);
  return out;
}

export function prepSummaryView(prep: NodeEvent[], notes: string[], totalNodes?: number): { text: string; blocks: Block[] } {
  const blocks: Block[] = [];
  const sentences: string[] = [];
  if (prep.length > 0) {
    const failed = prep.filter((e) => !e.ok);
    const total = Math.max(totalNodes ?? 0, prep.length);
    const head = failed.length === 0
      ? `Prep finished: ${prep.length} of ${total} node(s) ready (kernel modules loaded, sysctls set)`
      : `Prep finished: ${prep.length - failed.length} of ${total} node(s) ready, ${failed.length} failed`;
    const noted = prep.map((e) => ({ e, says: remarks(e.result) })).filter((x) => x.says.length > 0 || !x.e.ok);
    const lines = noted.slice(0, PREP_NODES_LISTED).map(({ e, says }) => `${e.ok ? ':warning:' : ':x:'} *${esc(e.node)}*${e.ok ? '' : ' failed'}: ${esc(says.join('; ') || 'no detail')}`);
    if (noted.length > PREP_NODES_LISTED) lines.push(`… and ${noted.length - PREP_NODES_LISTED} more node(s) with remarks`);
    blocks.push(section(truncate(`${failed.length ? ':x:' : ':white_check_mark:'} *${head}*${lines.length ? `\n${lines.join('\n')}` : ''}`, 3000)));
    sentences.push(`${head}.${failed.length ? ` Failed: ${failed.slice(0, 5).map((e) => `${e.node} (${remarks(e.result)[0] ?? 'no detail'})`).join(', ')}${failed.length > 5 ? ` and ${failed.length - 5} more` : ''}.` : ''}`);
  }
  if (notes.length > 0) {
    blocks.push(section(truncate(notes.map((n) => `• ${esc(n)}`).join('\n'), 3000)));
    sentences.push(...notes.map((n) => (/[.!?]$/.test(n) ? n : `${n}.`)));
  }
  if (prep.length > 0) blocks.push(context('Each node\'s full prep result is in the audit log (/ipvs audit export)'));
  return { text: truncate(sentences.join(' '), 3000), blocks };
}
