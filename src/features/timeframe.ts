/**
 * Timeframes and trading sessions: what bar and what session a time belongs to.
 *
 * Bars are aligned to the Unix epoch: a bar of `tf` ms opens at `floor(ts / tf) * tf`. For every
 * timeframe that divides a day (1m, 15m, 1h, 4h, 1d...) that is UTC midnight plus whole bars.
 */
import { UsageError } from '../core/errors.ts';
import { isTimeZone } from './market-time.ts';

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

const UNIT_MS: Record<string, number> = { s: 1000, m: MINUTE_MS, h: HOUR_MS, d: DAY_MS };

/**
 * `30s`, `1m`, `15m`, `1h`, `4h`, `1d` -> milliseconds. A whole number > 0 and a unit s, m, h or d.
 * Throws UsageError naming `option` otherwise.
 */
export function parseTimeframe(text: string, option = '--timeframe'): number {
  const m = /^(\d+)([smhd])$/.exec(text.trim());
  const n = m ? Number(m[1]) : NaN;
  if (!m || !(n > 0) || !Number.isSafeInteger(n * UNIT_MS[m[2]])) {
    throw new UsageError(`${option}: expected a timeframe such as 1m, 15m, 1h, 4h or 1d (a whole number > 0 and a unit s, m, h or d), got ${JSON.stringify(text)}`);
  }
  return n * UNIT_MS[m[2]];
}

/** Open time (epoch ms) of the bar of `tfMs` that holds `ts`. */
export function bucketStart(ts: number, tfMs: number): number {
  return Math.floor(ts / tfMs) * tfMs;
}

/**
 * A trading session: a window of the wall clock in `timeZone` (an IANA zone, or UTC),
 * `[startMin, endMin)` in minutes after local midnight. `endMin <= startMin` wraps past midnight
 * (22:00-06:00 ends the next local day). Windows may overlap; a time may be in no window.
 * Occurrences and the "current session" of a time: market-time.ts.
 */
export interface Session {
  readonly name: string;
  readonly timeZone: string;
  readonly startMin: number;
  readonly endMin: number;
}

/** Asia 09:00-18:00 Asia/Tokyo, Europe 08:00-16:30 Europe/London, US 09:30-16:00 America/New_York. */
export const DEFAULT_SESSIONS: readonly Session[] = [
  { name: 'Asia', timeZone: 'Asia/Tokyo', startMin: 9 * 60, endMin: 18 * 60 },
  { name: 'Europe', timeZone: 'Europe/London', startMin: 8 * 60, endMin: 16 * 60 + 30 },
  { name: 'US', timeZone: 'America/New_York', startMin: 9 * 60 + 30, endMin: 16 * 60 },
];

function minuteOf(hh: string, mm: string): number {
  return Number(hh) > 24 || Number(mm) > 59 ? NaN : Number(hh) * 60 + Number(mm);
}

/**
 * One session window: `name`, `HH:MM` start and end (end may be 24:00; end <= start wraps past
 * midnight) and an IANA zone (default UTC). Throws UsageError naming `where`.
 */
export function sessionWindow(name: string, start: string, end: string, timeZone = 'UTC', where = '--sessions'): Session {
  const s = /^(\d{1,2}):(\d{2})$/.exec(start.trim());
  const e = /^(\d{1,2}):(\d{2})$/.exec(end.trim());
  const startMin = s ? minuteOf(s[1], s[2]) : NaN;
  const endMin = e ? minuteOf(e[1], e[2]) : NaN;
  if (!/^[^=\s,@]+$/.test(name)) throw new UsageError(`${where}: a session name is one word without = , or @, got ${JSON.stringify(name)}`);
  if (!(startMin < 24 * 60) || !(endMin <= 24 * 60) || startMin === endMin) {
    throw new UsageError(`${where}: session ${name}: expected HH:MM-HH:MM with start < 24:00, end <= 24:00 and end != start (end before start wraps past midnight), got ${JSON.stringify(`${start}-${end}`)}`);
  }
  if (!isTimeZone(timeZone)) throw new UsageError(`${where}: session ${name}: unknown time zone ${JSON.stringify(timeZone)} (an IANA name such as Asia/Tokyo, Europe/London, America/New_York, or UTC)`);
  return { name, timeZone, startMin, endMin };
}

/**
 * `Asia=09:00-18:00@Asia/Tokyo,Europe=08:00-16:30@Europe/London,US=09:30-16:00@America/New_York`
 * -> sessions in that order (`@zone` omitted = UTC). Throws UsageError naming `option` for bad
 * syntax, an unknown zone, an empty window or a repeated name.
 */
export function parseSessions(text: string, option = '--sessions'): Session[] {
  const out: Session[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*([^=]*?)\s*=\s*([^-]*?)\s*-\s*([^@]*?)\s*(?:@\s*(\S+)\s*)?$/.exec(part);
    if (!m) throw new UsageError(`${option}: expected NAME=HH:MM-HH:MM[@Zone][,...], e.g. US=09:30-16:00@America/New_York, got ${JSON.stringify(part)}`);
    const s = sessionWindow(m[1], m[2], m[3], m[4] ?? 'UTC', option);
    if (out.some((o) => o.name === s.name)) throw new UsageError(`${option}: session ${s.name} is named twice`);
    out.push(s);
  }
  return out;
}

function hhmm(min: number): string {
  return `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;
}

/** Sessions as `--sessions` text (what parseSessions reads). */
export function sessionsText(sessions: readonly Session[]): string {
  return sessions.map((s) => `${s.name}=${hhmm(s.startMin)}-${hhmm(s.endMin)}${s.timeZone === 'UTC' ? '' : `@${s.timeZone}`}`).join(',');
}
