import { describe, expect, it } from 'vitest';
import { parseTimeArg } from '../../src/audit/parse-time-arg.js';

const NOW = new Date('2026-05-10T12:00:00.000Z');

describe('src/audit/parse-time-arg', () => {
  it('reads a duration back from now', () => {
    expect(parseTimeArg('30d', NOW)?.toISOString()).toBe('2026-04-10T12:00:00.000Z');
    expect(parseTimeArg('12h', NOW)?.toISOString()).toBe('2026-05-10T00:00:00.000Z');
    expect(parseTimeArg('90m', NOW)?.toISOString()).toBe('2026-05-10T10:30:00.000Z');
    expect(parseTimeArg('2w', NOW)?.toISOString()).toBe('2026-04-26T12:00:00.000Z');
  });

  it('reads ISO dates and times as UTC unless an offset is given', () => {
    expect(parseTimeArg('2026-01-31', NOW)?.toISOString()).toBe('2026-01-31T00:00:00.000Z');
    expect(parseTimeArg('2026-01-31T08:15', NOW)?.toISOString()).toBe('2026-01-31T08:15:00.000Z');
    expect(parseTimeArg('2026-01-31 08:15:30', NOW)?.toISOString()).toBe('2026-01-31T08:15:30.000Z');
    expect(parseTimeArg('2026-01-31T08:15:00+02:00', NOW)?.toISOString()).toBe('2026-01-31T06:15:00.000Z');
  });

  it('rejects anything else', () => {
    for (const bad of ['yesterday', '30', '-5d', '2026-13-45', '2026-02-30T25:00', '1d; rm -rf /', '']) expect(parseTimeArg(bad, NOW), bad).toBeUndefined();
  });
});
