import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SessionCalendar, SessionClock, zonedToUtc, zoneOffsetMs } from '../../src/features/market-time.ts';
import { SessionStatsOperator, sessionStatsBatch, type SessionStats } from '../../src/features/sessions.ts';
import { DEFAULT_SESSIONS, HOUR_MS, MINUTE_MS, parseSessions, type Session } from '../../src/features/timeframe.ts';
import { columns, type Row } from './trades.ts';

const utc = (y: number, mo: number, d: number, h = 0, mi = 0) => Date.UTC(y, mo - 1, d, h, mi);
const dayOf = (y: number, mo: number, d: number) => utc(y, mo, d) / 86_400_000;

/** Session i's window on a local date, as UTC ISO strings. */
function window(sessions: readonly Session[], i: number, y: number, mo: number, d: number): [string, string] {
  const o = new SessionCalendar(sessions).occurrence(i, dayOf(y, mo, d));
  return [new Date(o.start).toISOString().slice(0, 16), new Date(o.end).toISOString().slice(0, 16)];
}

describe('market time: zone conversion', () => {
  it('offsets of the three markets in winter and summer', () => {
    assert.equal(zoneOffsetMs(utc(2024, 1, 15, 12), 'America/New_York'), -5 * HOUR_MS);
    assert.equal(zoneOffsetMs(utc(2024, 7, 15, 12), 'America/New_York'), -4 * HOUR_MS);
    assert.equal(zoneOffsetMs(utc(2024, 1, 15, 12), 'Europe/London'), 0);
    assert.equal(zoneOffsetMs(utc(2024, 7, 15, 12), 'Europe/London'), HOUR_MS);
    assert.equal(zoneOffsetMs(utc(2024, 7, 15, 12), 'Asia/Tokyo'), 9 * HOUR_MS);
    assert.equal(zoneOffsetMs(utc(2024, 7, 15, 12), 'Asia/Kolkata'), 5.5 * HOUR_MS);
  });

  it('a wall time the clock skips reads as after the jump; one it repeats is its first occurrence', () => {
    // New York 2024-03-10: 02:00 EST -> 03:00 EDT, so 02:30 does not exist: 03:30 EDT = 07:30 UTC.
    assert.equal(zonedToUtc(utc(2024, 3, 10, 2, 30), 'America/New_York'), utc(2024, 3, 10, 7, 30));
    // 2024-11-03: 02:00 EDT -> 01:00 EST, so 01:30 happens twice: the first is 05:30 UTC (EDT).
    assert.equal(zonedToUtc(utc(2024, 11, 3, 1, 30), 'America/New_York'), utc(2024, 11, 3, 5, 30));
    assert.equal(zonedToUtc(utc(2024, 3, 31, 1, 30), 'Europe/London'), utc(2024, 3, 31, 1, 30));
  });

  it('wall time -> UTC -> wall time round trips away from transitions', () => {
    fc.assert(
      fc.property(fc.integer({ min: utc(2000, 1, 1) / MINUTE_MS, max: utc(2040, 1, 1) / MINUTE_MS }), fc.constantFrom('America/New_York', 'Europe/London', 'Asia/Tokyo', 'Australia/Sydney'), (min, zone) => {
        const t = min * MINUTE_MS;
        const local = t + zoneOffsetMs(t, zone);
        const back = zonedToUtc(local, zone);
        // Equal, or the other instant with the same wall time (a repeated hour).
        assert.equal(back + zoneOffsetMs(back, zone), local);
        assert.ok(back <= t);
      }),
      { numRuns: 300 },
    );
  });
});

describe('market time: default sessions follow daylight saving', () => {
  it('US opens 14:30 UTC in January and 13:30 UTC in July; Europe and Asia likewise', () => {
    assert.deepEqual(window(DEFAULT_SESSIONS, 2, 2024, 1, 15), ['2024-01-15T14:30', '2024-01-15T21:00']);
    assert.deepEqual(window(DEFAULT_SESSIONS, 2, 2024, 7, 15), ['2024-07-15T13:30', '2024-07-15T20:00']);
    assert.deepEqual(window(DEFAULT_SESSIONS, 1, 2024, 1, 15), ['2024-01-15T08:00', '2024-01-15T16:30']);
    assert.deepEqual(window(DEFAULT_SESSIONS, 1, 2024, 7, 15), ['2024-07-15T07:00', '2024-07-15T15:30']);
    // Tokyo keeps no daylight saving: 00:00-09:00 UTC all year.
    assert.deepEqual(window(DEFAULT_SESSIONS, 0, 2024, 1, 15), ['2024-01-15T00:00', '2024-01-15T09:00']);
    assert.deepEqual(window(DEFAULT_SESSIONS, 0, 2024, 7, 15), ['2024-07-15T00:00', '2024-07-15T09:00']);
  });

  it('London transition days: the session moves on the day the clocks change, not before', () => {
    assert.deepEqual(window(DEFAULT_SESSIONS, 1, 2024, 3, 30), ['2024-03-30T08:00', '2024-03-30T16:30']);
    assert.deepEqual(window(DEFAULT_SESSIONS, 1, 2024, 3, 31), ['2024-03-31T07:00', '2024-03-31T15:30']);
    assert.deepEqual(window(DEFAULT_SESSIONS, 1, 2024, 10, 26), ['2024-10-26T07:00', '2024-10-26T15:30']);
    assert.deepEqual(window(DEFAULT_SESSIONS, 1, 2024, 10, 27), ['2024-10-27T08:00', '2024-10-27T16:30']);
  });

  it('New York transition days, and the weeks when only one side has changed', () => {
    assert.deepEqual(window(DEFAULT_SESSIONS, 2, 2024, 3, 9), ['2024-03-09T14:30', '2024-03-09T21:00']);
    assert.deepEqual(window(DEFAULT_SESSIONS, 2, 2024, 3, 10), ['2024-03-10T13:30', '2024-03-10T20:00']);
    assert.deepEqual(window(DEFAULT_SESSIONS, 2, 2024, 11, 2), ['2024-11-02T13:30', '2024-11-02T20:00']);
    assert.deepEqual(window(DEFAULT_SESSIONS, 2, 2024, 11, 3), ['2024-11-03T14:30', '2024-11-03T21:00']);
    // 2024-03-20: New York already on EDT, London not yet on BST: the overlap is 13:30-16:30 UTC.
    assert.deepEqual(window(DEFAULT_SESSIONS, 1, 2024, 3, 20), ['2024-03-20T08:00', '2024-03-20T16:30']);
  });

  it('a window spanning the transition night is an hour shorter or longer', () => {
    const night = parseSessions('Night=22:00-06:00@America/New_York');
    // 22:00 EST (03:00 UTC) to 06:00 EDT (10:00 UTC): 7 hours.
    assert.deepEqual(window(night, 0, 2024, 3, 9), ['2024-03-10T03:00', '2024-03-10T10:00']);
    // 22:00 EDT (02:00 UTC) to 06:00 EST (11:00 UTC): 9 hours.
    assert.deepEqual(window(night, 0, 2024, 11, 2), ['2024-11-03T02:00', '2024-11-03T11:00']);
  });
});

describe('market time: the current session', () => {
  it('is the session that opened last: US in the Europe/US overlap and after the US close until Asia opens', () => {
    const clock = new SessionClock(DEFAULT_SESSIONS);
    const at = (h: number, m = 0) => clock.name(utc(2024, 1, 15, h, m));
    assert.deepEqual([at(0), at(7, 59), at(8), at(14, 29), at(14, 30), at(16, 45), at(23, 59)], ['Asia', 'Asia', 'Europe', 'Europe', 'US', 'US', 'US']);
    assert.equal(clock.name(utc(2024, 7, 15, 7)), 'Europe', 'London opens 07:00 UTC in July');
    assert.equal(clock.name(utc(2024, 7, 15, 13, 30)), 'US', 'New York opens 13:30 UTC in July');
    // Keys change exactly when a session opens, whatever order the questions come in.
    assert.equal(clock.key(utc(2024, 1, 15, 23)), clock.key(utc(2024, 1, 15, 15)));
    assert.equal(clock.key(utc(2024, 1, 15, 15)), utc(2024, 1, 15, 14, 30));
    assert.notEqual(clock.key(utc(2024, 1, 16, 15)), clock.key(utc(2024, 1, 15, 15)));
  });
});

describe('sessions in market time', () => {
  it('a trade in the Europe/US overlap counts in both; a trade after every close in none', () => {
    const D = utc(2024, 1, 15);
    const rows: Row[] = [
      [D + 10 * HOUR_MS, 100, 1, 1], // Europe only
      [D + 15 * HOUR_MS, 101, 2, 1], // Europe and US
      [D + 17 * HOUR_MS, 102, 4, -1], // US only
      [D + 22 * HOUR_MS, 103, 8, 1], // none
    ];
    const out = sessionStatsBatch(columns(rows), {});
    assert.deepEqual(
      out.map((s) => [s.session, s.date, new Date(s.start_ms).toISOString(), new Date(s.end_ms).toISOString(), s.volume, s.open, s.close]),
      [
        ['Europe', '2024-01-15', '2024-01-15T08:00:00.000Z', '2024-01-15T16:30:00.000Z', 3, 100, 101],
        ['US', '2024-01-15', '2024-01-15T14:30:00.000Z', '2024-01-15T21:00:00.000Z', 6, 101, 102],
      ],
    );
  });

  it('a window that wraps midnight is one occurrence dated by the day it opens', () => {
    const D = utc(2024, 5, 1);
    const night = parseSessions('Night=22:00-06:00,Day=09:00-17:00');
    const rows: Row[] = [
      [D + 23 * HOUR_MS, 100, 1, 1],
      [D + 25 * HOUR_MS, 100, 1, 1],
      [D + 30 * HOUR_MS - 1, 100, 1, -1],
      [D + 30 * HOUR_MS, 100, 1, -1], // 06:00 is outside Night, before Day
      [D + 34 * HOUR_MS, 100, 1, -1], // Day
    ];
    const out = sessionStatsBatch(columns(rows), { sessions: night });
    assert.deepEqual(
      out.map((s) => [s.session, s.date, s.start_ms, s.end_ms, s.trades]),
      [
        ['Night', '2024-05-01', D + 22 * HOUR_MS, D + 30 * HOUR_MS, 3],
        ['Day', '2024-05-02', D + 33 * HOUR_MS, D + 41 * HOUR_MS, 1],
      ],
    );
  });

  it('counts each trade in exactly the windows a direct Intl reading puts it in (any chunking)', () => {
    const sessions = parseSessions('Asia=09:00-18:00@Asia/Tokyo,Europe=08:00-16:30@Europe/London,US=09:30-16:00@America/New_York,Night=22:00-03:00@America/New_York');
    const wall = new Map(sessions.map((s) => [s.name, new Intl.DateTimeFormat('en-GB', { timeZone: s.timeZone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit' })]));
    const inWindow = (s: Session, t: number) => {
      const [h, m] = wall.get(s.name)!.format(t).split(':').map(Number);
      const min = h * 60 + m;
      return s.endMin > s.startMin ? min >= s.startMin && min < s.endMin : min >= s.startMin || min < s.endMin;
    };
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 9 * HOUR_MS }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 0, max: 59 }), (steps, cut) => {
        // Starts a day before New York's spring-forward night so transitions are crossed.
        let t = utc(2024, 3, 8) - MINUTE_MS;
        const rows: Row[] = steps.map((dt) => [(t += Math.ceil(dt / MINUTE_MS) * MINUTE_MS), 100, 1, 1]);
        const c = columns(rows);
        const out: SessionStats[] = [];
        const op = new SessionStatsOperator({ sessions }, (s) => out.push(s));
        const k = Math.min(cut, c.length);
        op.push(c, 0, k);
        op.push(c, k, c.length);
        op.flush();
        for (const s of sessions) {
          const want = rows.filter((r) => inWindow(s, r[0])).length;
          const got = out.filter((o) => o.session === s.name).reduce((a, o) => a + o.trades, 0);
          assert.equal(got, want, s.name);
        }
        for (const o of out) assert.ok(o.start_ms <= o.first_ts && o.last_ts < o.end_ms);
      }),
      { numRuns: 100 },
    );
  });

  it('converts boundaries once per local date, not per trade', () => {
    const proto = Intl.DateTimeFormat.prototype;
    const orig = proto.formatToParts;
    let calls = 0;
    proto.formatToParts = function (this: Intl.DateTimeFormat, d?: number | Date) {
      calls++;
      return orig.call(this, d);
    };
    try {
      const rows: Row[] = [];
      const t0 = utc(2024, 1, 10);
      for (let i = 0; i < 50_000; i++) rows.push([t0 + i * 17_280, 100, 1, i % 2 ? 1 : -1]); // 10 days
      const out = sessionStatsBatch(columns(rows), {});
      assert.equal(out.length, 30);
      assert.ok(calls < 1000, `${calls} Intl calls for 50000 trades`);
    } finally {
      proto.formatToParts = orig;
    }
  });
});
