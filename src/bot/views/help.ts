// `/ipvs help`: what each subcommand does.
import { USAGE } from '../command-parser.js';
import { codeBlock, context, section, type Block } from './text.js';

export function helpView(): { text: string; blocks: Block[] } {
  const lines = [
    ['plan', 'Plans a kube-proxy mode switch (read-only; --mode ipvs|nftables|iptables, default ipvs) and posts a card with advice to approve or reject.'],
    ['status', 'Shows the runs of a cluster, one run, or every active run.'],
    ['rollback', 'Plans a rollback from the stored snapshot; approval-gated like a migration.'],
    ['cancel', 'Stops a run; switched nodes are rolled back.'],
    ['decide', 'Decides for a run waiting for an operator (inconclusive check, unknown outcome, failed rollback): continue, rollback or abort, with a note; approvers only. The buttons on the card do the same.'],
    ['clusters', 'Lists the configured clusters, their current kube-proxy mode and the mode upstream would recommend.'],
    ['audit', 'Exports the audit trail (JSONL or CSV) or verifies its hash chain.'],
  ] as const;
  return {
    text: 'ipvs-bot: /ipvs plan | status | rollback | cancel | decide | clusters | audit | help',
    blocks: [
      section('*ipvs-bot* switches kube-proxy between iptables, IPVS and nftables as an approved, verified, audited run.'),
      section(lines.map(([k, v]) => `*${k}*: ${v}`).join('\n')),
      section(codeBlock(Object.values(USAGE).join('\n'))),
      context('Approvals need someone other than the requester; production clusters ask for the cluster name.'),
    ],
  };
}

/** An error answer: what was wrong, then the usage. */
export function usageErrorView(error: string, usage: string): { text: string; blocks: Block[] } {
  return {
    text: `${error}\nUsage: ${usage}`,
    blocks: [section(`:warning: ${error}`), section(`*Usage*\n${codeBlock(usage)}`)],
  };
}
