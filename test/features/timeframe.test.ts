import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../src/core/errors.ts';
import { bucketStart, DAY_MS, DEFAULT_SESSIONS, parseSessions, parseTimeframe, sessionKey, sessionOf } from '../../src/features/timeframe.ts';

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
  it('default: Asia 00:00-08:00, Europe 08:00-13:30, US 13:30-21:00, and 21:00-24:00 is still US', () => {
    const name = (t: number) => sessionOf(t, DEFAULT_SESSIONS).name;
    assert.deepEqual([at(0), at(7, 59), at(8), at(13, 29), at(13, 30), at(20, 59), at(21), at(23, 59), at(24)].map(name), ['Asia', 'Asia', 'Europe', 'Europe', 'US', 'US', 'US', 'US', 'Asia']);
    assert.equal(sessionKey(at(21), DEFAULT_SESSIONS), sessionKey(at(14), DEFAULT_SESSIONS));
    assert.notEqual(sessionKey(at(14), DEFAULT_SESSIONS), sessionKey(at(14) + DAY_MS, DEFAULT_SESSIONS));
  });

  it('before the first session is the previous day\'s last session', () => {
    const s = parseSessions('London=07:00-12:00,Asia=01:00-07:00,NY=12:00-20:00');
    assert.deepEqual(s.map((x) => x.name), ['Asia', 'London', 'NY']);
    assert.equal(sessionOf(at(0, 30), s).name, 'NY');
    assert.equal(sessionKey(at(0, 30), s), sessionKey(at(22) - DAY_MS, s));
  });

  it('rejects bad, empty and overlapping windows', () => {
    for (const bad of ['Asia', 'Asia=08:00-07:00', 'A=00:00-08:00,B=07:00-09:00', 'A=00:00-25:00', 'A=00:61-02:00']) {
      assert.throws(() => parseSessions(bad), UsageError, bad);
    }
  });
});
