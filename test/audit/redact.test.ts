import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { exportAudit } from '../../src/audit/export-audit.js';
import { redactSecrets } from '../../src/audit/redact.js';
import { openDb } from '../../src/db/client.js';
import { migrateDb } from '../../src/db/migrate.js';
import { recordAudit } from '../../src/db/audit-store.js';

const SECRETS = ['xoxb-1111-2222-abcdef', 'xapp-1-A111-222-ffff', 'xoxp-9-9-9', 'eyJhbGciOi.secretjwt.sig', 'apiVersion: v1\nusers:\n- name: admin', 'hunter2-password'];

describe('src/audit/redact', () => {
  it('keeps secrets out of the store and so out of every export, wherever they sit in the payload', async () => {
    const db = openDb(':memory:');
    migrateDb(db);
    recordAudit(db, {
      actor: 'U1', type: 'config.loaded',
      payload: {
        slack: { botToken: SECRETS[0], appToken: SECRETS[1] },
        headers: [{ Authorization: `Bearer ${SECRETS[3]}` }, { 'x-note': `user pasted ${SECRETS[2]} in chat` }],
        cluster: { name: 'prod', kubeconfig: SECRETS[4], client_secret: 'abc', PASSWORD: SECRETS[5] },
        log: `auth header was Bearer ${SECRETS[3]}`,
        keep: 'node-1 ok',
      },
    });
    for (const format of ['jsonl', 'csv'] as const) {
      const out = new PassThrough();
      const chunks: Buffer[] = [];
      out.on('data', (c: Buffer) => chunks.push(c));
      await exportAudit(db, { format }, out);
      const text = Buffer.concat(chunks).toString();
      for (const s of SECRETS) expect(text, `${format}: ${s}`).not.toContain(s.split('\n')[0]);
      expect(text).toContain('node-1 ok');
      expect(text).toContain('[REDACTED]');
    }
  });

  it('leaves ordinary values and shapes alone', () => {
    const v = { step: 'verify:3', nodes: ['a', 'b'], ok: true, n: 3, nested: { tokenizer: 'x' } };
    const r = redactSecrets(v) as typeof v;
    expect(r).toMatchObject({ step: 'verify:3', nodes: ['a', 'b'], ok: true, n: 3 });
    expect(redactSecrets('plain text, no secret')).toBe('plain text, no secret');
  });
});
