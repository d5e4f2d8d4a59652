/**
 * Trading sessions in market time (docs/FEATURES.md "Sessions").
 *
 * A session is a window of the wall clock of its market's IANA zone (Asia 09:00-18:00
 * Asia/Tokyo...), so its UTC boundaries move with that zone's daylight saving, date by date.
 * The zone rules come from the runtime's ICU data through `Intl`; no table of our own. `Intl` is
 * slow (microseconds a call), so a calendar converts each session's boundaries once per local
 * date and keeps them: the per-trade work is comparing a time with cached numbers.
 */
import type { Session } from './timeframe.ts';

// Local copies, so that timeframe.ts (which validates zones here) and this module import no cycle.
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' });
    formatters.set(timeZone, f);
  }
  return f;
}

/** True when the runtime knows `timeZone` as an IANA zone (or UTC). */
export function isTimeZone(timeZone: string): boolean {
  try {
    formatterOf(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at the instant `ts` (epoch ms), in ms: local wall time = ts + offset. */
export function zoneOffsetMs(ts: number, timeZone: string): number {
  if (timeZone === 'UTC') return 0;
  const whole = Math.floor(ts / 1000) * 1000;
  let y = 0;
  let mo = 0;
  let d = 0;
  let h = 0;
  let mi = 0;
  let s = 0;
  for (const p of formatterOf(timeZone).formatToParts(whole)) {
    if (p.type === 'year') y = Number(p.value);
    else if (p.type === 'month') mo = Number(p.value);
    else if (p.type === 'day') d = Number(p.value);
    else if (p.type === 'hour') h = Number(p.value);
    else if (p.type === 'minute') mi = Number(p.value);
    else if (p.type === 'second') s = Number(p.value);
  }
  const asUtc = Date.UTC(y, mo - 1, d, h, mi, s);
  // Date.UTC maps years 0..99 to 1900..1999; zone maths never meets them, but be exact anyway.
  return (y < 100 ? new Date(asUtc).setUTCFullYear(y) : asUtc) - whole;
}

/**
 * The instant (epoch ms) the zone's wall clock reads `localMs` (a wall time written as if it
 * were UTC). As `Temporal`'s "compatible" disambiguation: a wall time the clock skips (spring
 * forward) is read with the offset before the jump, so 02:30 on New York's spring-forward day is
 * 03:30 EDT; a wall time that occurs twice (fall back) is its first occurrence.
 */
export function zonedToUtc(localMs: number, timeZone: string): number {
  if (timeZone === 'UTC') return localMs;
  const before = zoneOffsetMs(localMs - DAY_MS / 2, timeZone);
  const after = zoneOffsetMs(localMs + DAY_MS / 2, timeZone);
  const a = localMs - before;
  const b = localMs - after;
  const aOk = zoneOffsetMs(a, timeZone) === before;
  const bOk = zoneOffsetMs(b, timeZone) === after;
  if (aOk && bOk) return Math.min(a, b);
  if (aOk) return a;
  if (bOk) return b;
  return a;
}

/** One occurrence of a session: [start, end) in epoch ms; `day` = its local date's day number. */
export interface Occurrence {
  readonly session: number;
  readonly day: number;
  readonly start: number;
  readonly end: number;
}

/**
 * Every session's occurrences, converted once per local date and cached. Occurrences of one
 * session never overlap and are ordered by day; occurrences of different sessions may overlap.
 */
export class SessionCalendar {
  private readonly cache: Map<number, Occurrence>[];

  constructor(readonly sessions: readonly Session[]) {
    if (sessions.length === 0) throw new RangeError('sessions: need at least one session');
    this.cache = sessions.map(() => new Map());
  }

  /** Session `i` on local day `day` (days since 1970-01-01 in its zone). */
  occurrence(i: number, day: number): Occurrence {
    const c = this.cache[i];
    let o = c.get(day);
    if (!o) {
      const s = this.sessions[i];
      const wraps = s.endMin <= s.startMin;
      const start = zonedToUtc(day * DAY_MS + s.startMin * MINUTE_MS, s.timeZone);
      const end = zonedToUtc((day + (wraps ? 1 : 0)) * DAY_MS + s.endMin * MINUTE_MS, s.timeZone);
      o = { session: i, day, start, end };
      if (c.size > 4096) c.clear();
      c.set(day, o);
    }
    return o;
  }

  /** The local day number of instant `ts` in session `i`'s zone. */
  localDay(i: number, ts: number): number {
    return Math.floor((ts + zoneOffsetMs(ts, this.sessions[i].timeZone)) / DAY_MS);
  }

  /** Session `i`'s occurrence that holds `ts`, or else the first one that starts after it. */
  holdingOrNext(i: number, ts: number): Occurrence {
    for (let d = this.localDay(i, ts) - 1; ; d++) {
      const o = this.occurrence(i, d);
      if (o.end > ts) return o;
    }
  }

  /** Session `i`'s last occurrence that started at or before `ts`. */
  lastStarted(i: number, ts: number): Occurrence {
    let d = this.localDay(i, ts) + 1;
    let o = this.occurrence(i, d);
    while (o.start > ts) o = this.occurrence(i, --d);
    return o;
  }

  /** The local date (YYYY-MM-DD) an occurrence opens on, in its session's zone. */
  static dateOf(o: Occurrence): string {
    return new Date(o.day * DAY_MS).toISOString().slice(0, 10);
  }
}

/**
 * The current session at a time: the one that opened most recently (so in the Europe/US
 * overlap it is US, and after the US close it stays US until Asia opens). Queries in time order
 * cost a comparison; the calendar is consulted only when a session opens.
 */
export class SessionClock {
  readonly calendar: SessionCalendar;
  private from = Infinity;
  private until = -Infinity;
  private cur: Occurrence = { session: 0, day: 0, start: NaN, end: NaN };

  constructor(sessions: readonly Session[]) {
    this.calendar = new SessionCalendar(sessions);
  }

  /** The occurrence of the current session at `ts`. */
  at(ts: number): Occurrence {
    if (ts >= this.from && ts < this.until) return this.cur;
    const cal = this.calendar;
    let best: Occurrence | undefined;
    let next = Infinity;
    for (let i = 0; i < cal.sessions.length; i++) {
      const o = cal.lastStarted(i, ts);
      if (!best || o.start > best.start) best = o;
      const n = cal.occurrence(i, o.day + 1).start;
      if (n < next) next = n;
    }
    this.cur = best!;
    this.from = best!.start;
    this.until = next;
    return best!;
  }

  /** A number that changes exactly when a session opens (the opening instant). */
  key(ts: number): number {
    return this.at(ts).start;
  }

  /** The name of the current session at `ts`. */
  name(ts: number): string {
    return this.calendar.sessions[this.at(ts).session].name;
  }
}
