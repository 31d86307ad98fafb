// Modals: typed-name approval for production clusters, and the reason for a rejection.
import { CALLBACK, INPUT, type RunRef } from './ids.js';
import { esc, section, truncate } from './text.js';

export interface ModalMeta extends RunRef { channel: string; ts: string; cluster: string }

export function approveModal(meta: ModalMeta): Record<string, unknown> {
  return {
    type: 'modal', callback_id: CALLBACK.approveModal, private_metadata: JSON.stringify(meta),
    title: { type: 'plain_text', text: 'Approve production run' },
    submit: { type: 'plain_text', text: 'Approve' }, close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      section(truncate(`*${esc(meta.cluster)}* is a production cluster. Type its name to approve run \`${esc(meta.runId)}\`.`, 3000)),
      { type: 'input', block_id: INPUT.clusterName.block, label: { type: 'plain_text', text: 'Cluster name' },
        element: { type: 'plain_text_input', action_id: INPUT.clusterName.action, placeholder: { type: 'plain_text', text: truncate(meta.cluster, 150) } } },
    ],
  };
}

export function rejectModal(meta: ModalMeta): Record<string, unknown> {
  return {
    type: 'modal', callback_id: CALLBACK.rejectModal, private_metadata: JSON.stringify(meta),
    title: { type: 'plain_text', text: 'Reject run' },
    submit: { type: 'plain_text', text: 'Reject' }, close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      section(truncate(`Reject run \`${esc(meta.runId)}\` on *${esc(meta.cluster)}*? The requester sees your reason.`, 3000)),
      { type: 'input', block_id: INPUT.reason.block, label: { type: 'plain_text', text: 'Reason' },
        element: { type: 'plain_text_input', action_id: INPUT.reason.action, multiline: true, min_length: 3, max_length: 500 } },
    ],
  };
}

export function parseModalMeta(raw: string | undefined): ModalMeta | undefined {
  try {
    const m = JSON.parse(raw ?? '') as Partial<ModalMeta>;
    if ([m.runId, m.digest, m.channel, m.ts, m.cluster].every((x) => typeof x === 'string')) return m as ModalMeta;
  } catch { /* fallthrough */ }
  return undefined;
}
