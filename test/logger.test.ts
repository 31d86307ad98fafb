import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, runLogger, clusterLogger, scrubText } from '../src/logger.js';

function capture(level = 'debug') {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _enc, cb) { lines.push(...String(chunk).split('\n').filter(Boolean)); cb(); },
  });
  const logger = createLogger({ level, destination });
  return { logger, lines, all: () => lines.join('\n'), parsed: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

const BOT_TOKEN = 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx';
const APP_TOKEN = 'xapp-1-A0123456789-1234567890123-abcdef0123456789abcdef';
const SA_JWT = 'eyJhbGciOiJSUzI1NiIsImtpZCI6IkFCQyJ9.eyJpc3MiOiJrdWJlcm5ldGVzIn0.c2lnbmF0dXJlLXBhcnQtaGVyZQ';
const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const KUBECONFIG_YAML = `apiVersion: v1\nusers:\n- name: admin\n  user:\n    token: opaque-static-token-42\n    client-key-data: LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2Zw==\n`;
const SECRETS = [BOT_TOKEN, APP_TOKEN, SA_JWT, SIGNING_SECRET, 'opaque-static-token-42', 'LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2Zw=='];

describe('src/logger', () => {
  it('writes one JSON object per line with level name, time, msg and the fields given', () => {
    const { logger, parsed } = capture();
    logger.info({ step: 'ensure-config-mode', nodes: 3 }, 'step finished');
    const [line] = parsed();
    expect(line).toMatchObject({ level: 'info', msg: 'step finished', step: 'ensure-config-mode', nodes: 3, service: 'ipvs-bot' });
    expect(typeof line?.time).toBe('string');
    expect(Number.isNaN(Date.parse(String(line?.time)))).toBe(false);
  });

  it('honours the configured level', () => {
    const { logger, parsed } = capture('warn');
    logger.info('hidden');
    logger.debug('hidden too');
    logger.warn('shown');
    expect(parsed().map((l) => l.msg)).toEqual(['shown']);
  });

  it('puts run and cluster on every line of a run logger, including its own children', () => {
    const { logger, parsed } = capture();
    const log = runLogger(logger, 'run-42', 'prod-eu');
    log.info('one');
    log.child({ step: 'prep' }).warn({ node: 'n1' }, 'two');
    clusterLogger(logger, 'staging').info('three');
    const lines = parsed();
    expect(lines[0]).toMatchObject({ run: 'run-42', cluster: 'prod-eu', msg: 'one' });
    expect(lines[1]).toMatchObject({ run: 'run-42', cluster: 'prod-eu', step: 'prep', node: 'n1', msg: 'two' });
    expect(lines[2]).toMatchObject({ cluster: 'staging', msg: 'three' });
    expect(lines[2]).not.toHaveProperty('run');
  });

  it('never prints a token, authorization header, signing secret or kubeconfig value, wherever it is', () => {
    const { logger, all, parsed } = capture();
    // secret-named keys at any depth
    logger.info({ config: { slack: { botToken: BOT_TOKEN, appToken: APP_TOKEN, signingSecret: SIGNING_SECRET } } }, 'config loaded');
    logger.info({ req: { headers: { authorization: `Bearer ${SA_JWT}`, 'x-slack-signature': 'v0=abc' } } }, 'request');
    logger.info({ cluster: { name: 'c1', kubeconfig: KUBECONFIG_YAML } }, 'cluster');
    logger.info({ list: [{ token: SA_JWT }, { nested: { deeper: { password: SIGNING_SECRET } } }] }, 'array');
    // secrets embedded in free text: messages, format arguments, errors, child bindings
    logger.warn(`slack call failed with token ${BOT_TOKEN}`);
    logger.warn('auth header was %s', `Bearer ${SA_JWT}`);
    const err = Object.assign(new Error(`401 for ${APP_TOKEN}; kubeconfig said token: opaque-static-token-42`), {
      headers: { authorization: `Bearer ${SA_JWT}` }, code: 401,
    });
    logger.error({ err }, 'k8s failed');
    logger.error(err);
    logger.child({ authorization: `Bearer ${SA_JWT}`, note: `uses ${BOT_TOKEN}` }).info('child');
    logger.info({ text: KUBECONFIG_YAML }, 'dumped kubeconfig contents by mistake');

    const out = all();
    for (const s of SECRETS) expect(out, `leaked ${s.slice(0, 12)}…`).not.toContain(s);
    // the lines are still useful: structure and non-secret content survive
    const lines = parsed();
    expect(lines).toHaveLength(10);
    expect(lines[0]).toMatchObject({ msg: 'config loaded', config: { slack: { botToken: '[redacted]' } } });
    expect(lines[2]).toMatchObject({ cluster: { name: 'c1', kubeconfig: '[redacted]' } });
    expect(lines[4]?.msg).toBe('slack call failed with token [redacted]');
    const errLine = lines[6] as { err: { message: string; code: number; stack: string } };
    expect(errLine.err.code).toBe(401);
    expect((errLine.err as { type?: string }).type).toBe('Error');
    expect(lines[7]?.msg).toBe('401 for [redacted]; kubeconfig said token: [redacted]');
    expect(errLine.err.message).toContain('401 for [redacted]');
    expect(errLine.err.stack).toContain('Error');
  });

  it('scrubText leaves ordinary text alone', () => {
    const s = 'switching kube-proxy on cluster prod from iptables to ipvs (3 nodes, token bucket empty)';
    expect(scrubText(s)).toBe(s);
  });
});
