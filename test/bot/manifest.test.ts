import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { ACTION } from '../../src/bot/views/ids.js';

// Each Web API method the bot calls and the bot scope it needs (https://docs.slack.dev/reference/methods).
const METHOD_SCOPES: Record<string, string> = {
  'chat.postMessage': 'chat:write', 'chat.update': 'chat:write', 'chat.postEphemeral': 'chat:write',
  'files.getUploadURLExternal': 'files:write', 'files.completeUploadExternal': 'files:write', 'usergroups.users.list': 'usergroups:read',
};

describe('slack-app-manifest.yaml', () => {
  const m = parse(readFileSync('slack-app-manifest.yaml', 'utf8')) as {
    features: { slash_commands: { command: string; url: string }[] }; oauth_config: { scopes: { bot: string[] } };
    settings: { interactivity: { is_enabled: boolean; request_url: string } };
  };

  it('declares /ipvs and interactivity on /slack/events', () => {
    expect(m.features.slash_commands.map((c) => c.command)).toEqual(['/ipvs']);
    expect(m.features.slash_commands[0]?.url).toMatch(/\/slack\/events$/);
    expect(m.settings.interactivity).toMatchObject({ is_enabled: true, request_url: expect.stringMatching(/\/slack\/events$/) });
    expect(Object.keys(ACTION).length).toBeGreaterThan(0);
  });

  it('asks for exactly the scopes the methods it calls need, plus commands and chat:write.public', () => {
    const needed = new Set([...Object.values(METHOD_SCOPES), 'commands', 'chat:write.public']);
    expect([...m.oauth_config.scopes.bot].sort()).toEqual([...needed].sort());
  });
});
