import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.ts';
import { bucketStart, DAY_MS, DEFAULT_SESSIONS, parseSessions, parseTimeframe, sessionsText } from '../../src/features/timeframe.ts';

const D = Date.UTC(2026, 0, 1);
const at = (hh: number, mm = 0) => D + (hh * 60 + mm) * 60_000;

describe('timeframes', () => {
  it('parses s, m, h and d', () => {
    assert.deepEqual(['30s', '1m', '15m', '1h', '4h', '1d', ' 2d '].map((t) => parseTimeframe(t)), [30_000, 60_000, 900_000, 3_600_000, 14_400_000, DAY_MS, 2 * DAY_MS]);
  });

  it('rejects anything else with a UsageError naming the option', () => {
    for (const bad of ['', '0m', '1', 'm', '1.5h', '-1m', '1w', '1M', 'abc']) {
      assert.throws(() => parseTimeframe(bad, '--tf'), (e: unknown) => e instanceof UsageError && e.code === 'E_USAGE' && e.message.startsWith('--tf:'), bad);
    }
  });

  it('bars open at UTC multiples of the timeframe', () => {
    assert.equal(bucketStart(at(13, 47) + 123.456, 15 * 60_000), at(13, 45));
    assert.equal(bucketStart(at(23, 59), DAY_MS), D);
    assert.equal(bucketStart(at(13, 47), 60_000), at(13, 47));
  });
});

describe('sessions', () => {
  it('parses windows with zones, wrapping windows and overlaps, and prints them back', () => {
    const text = 'Asia=09:00-18:00@Asia/Tokyo,Night=22:00-06:00,US=09:30-16:00@America/New_York,Europe=08:00-16:30@Europe/London';
    const s = parseSessions(text);
    assert.deepEqual(s[1], { name: 'Night', timeZone: 'UTC', startMin: 22 * 60, endMin: 6 * 60 });
    assert.deepEqual(s[2], { name: 'US', timeZone: 'America/New_York', startMin: 9 * 60 + 30, endMin: 16 * 60 });
    assert.equal(sessionsText(s), text);
    assert.deepEqual(parseSessions(sessionsText(DEFAULT_SESSIONS)), DEFAULT_SESSIONS);
  });

  it('rejects bad syntax, empty windows, unknown zones and repeated names, naming the option', () => {
    for (const bad of ['Asia', 'Asia=08:00-08:00', 'A=00:00-25:00', 'A=24:00-02:00', 'A=00:61-02:00', 'A=09:00-10:00@Mars/Olympus', 'A=01:00-02:00,A=03:00-04:00', '=01:00-02:00']) {
      assert.throws(() => parseSessions(bad), (e: Error) => e instanceof UsageError && e.message.startsWith('--sessions:'), bad);
    }
  });
});
