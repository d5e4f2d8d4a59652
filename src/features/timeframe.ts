/**
 * Timeframes and trading sessions: what bar and what session a time belongs to.
 *
 * Bars are aligned to the Unix epoch: a bar of `tf` ms opens at `floor(ts / tf) * tf`. For every
 * timeframe that divides a day (1m, 15m, 1h, 4h, 1d...) that is UTC midnight plus whole bars.
 */
import { UsageError } from '../core/errors.ts';

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
 * A trading session: a UTC window of the day, `[startMin, endMin)` in minutes after midnight.
 * Windows must not overlap; a time in no window belongs to the session that ended last before it
 * (21:00-24:00 UTC belongs to US with the defaults), so every instant has exactly one session.
 */
export interface Session {
  readonly name: string;
  readonly startMin: number;
  readonly endMin: number;
}

/** Asia 00:00-08:00, Europe 08:00-13:30, US 13:30-21:00 UTC. */
export const DEFAULT_SESSIONS: readonly Session[] = [
  { name: 'Asia', startMin: 0, endMin: 8 * 60 },
  { name: 'Europe', startMin: 8 * 60, endMin: 13 * 60 + 30 },
  { name: 'US', startMin: 13 * 60 + 30, endMin: 21 * 60 },
];

/**
 * `Asia=00:00-08:00,Europe=08:00-13:30,US=13:30-21:00` -> sessions sorted by start.
 * Throws UsageError naming `option` for bad syntax, empty or overlapping windows.
 */
export function parseSessions(text: string, option = '--sessions'): Session[] {
  const out: Session[] = [];
  for (const part of text.split(',')) {
    const m = /^\s*([^=\s]+)\s*=\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(part);
    const start = m ? Number(m[2]) * 60 + Number(m[3]) : NaN;
    const end = m ? Number(m[4]) * 60 + Number(m[5]) : NaN;
    if (!m || Number(m[3]) > 59 || Number(m[5]) > 59 || !(start < end) || end > 24 * 60) {
      throw new UsageError(`${option}: expected NAME=HH:MM-HH:MM[,...] with start < end <= 24:00 (UTC), got ${JSON.stringify(part)}`);
    }
    out.push({ name: m[1], startMin: start, endMin: end });
  }
  out.sort((a, b) => a.startMin - b.startMin);
  for (let i = 1; i < out.length; i++) {
    if (out[i].startMin < out[i - 1].endMin) throw new UsageError(`${option}: sessions ${out[i - 1].name} and ${out[i].name} overlap`);
  }
  return out;
}

/**
 * A number that changes exactly when the session changes: `day * n + index`, where `day` is
 * the UTC day number and `index` the session's position in `sessions` (sorted by start). Times
 * before the first session's start belong to the previous day's last session.
 */
export function sessionKey(ts: number, sessions: readonly Session[]): number {
  const n = sessions.length;
  let day = Math.floor(ts / DAY_MS);
  const minute = (ts - day * DAY_MS) / MINUTE_MS;
  let idx = n - 1;
  while (idx >= 0 && sessions[idx].startMin > minute) idx--;
  if (idx < 0) {
    day -= 1;
    idx = n - 1;
  }
  return day * n + idx;
}

/** The session `ts` belongs to (see sessionKey). */
export function sessionOf(ts: number, sessions: readonly Session[]): Session {
  const k = sessionKey(ts, sessions);
  const n = sessions.length;
  return sessions[((k % n) + n) % n];
}

function hhmm(min: number): string {
  return `${String(Math.floor(min / 60)).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;
}

/** Sessions as `--sessions` text (what parseSessions reads). */
export function sessionsText(sessions: readonly Session[]): string {
  return sessions.map((s) => `${s.name}=${hhmm(s.startMin)}-${hhmm(s.endMin)}`).join(',');
}
