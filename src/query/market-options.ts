/**
 * Time and venue parsers for a market's range, shared by the CLI's options (src/cli/options.ts)
 * and the dashboard server's query parameters (src/server): each throws a UsageError that names
 * the option or parameter, the value and what is accepted.
 */
import { UsageError } from '../core/errors.ts';
import { PERP_VENUES, VENUES, type Venue } from '../core/events.ts';

/**
 * `2024-11-01`, `2024-11-01T12:00`, `2024-11-01 12:00:30.5`, any of them with a zone (`Z`, `+02:00`,
 * `-0500`), or epoch ms -> epoch ms. A time without a zone is UTC, never the machine's zone: every
 * output prints UTC, and the same command must mean the same bars in Tokyo and New York.
 */
export function parseTime(text: string, option: string): number {
  const t = text.trim();
  if (/^\d{10,}$/.test(t)) return Number(t);
  const m = ISO_TIME.exec(t);
  const bad = () => new UsageError(`${option}: cannot read ${JSON.stringify(text)} as a time; use 2024-11-01, 2024-11-01T12:00:00 (UTC unless a zone such as Z or +02:00 follows) or epoch ms`);
  if (!m) throw bad();
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const ms = Date.UTC(+y, +mo - 1, +d, +h, +mi, +s, frac === '' ? 0 : Number(`0.${frac}`) * 1000);
  const back = new Date(ms);
  // Date.UTC rolls 2024-02-30 over into March; a calendar date that does not exist is a typo.
  if (back.getUTCFullYear() !== +y || back.getUTCMonth() !== +mo - 1 || back.getUTCDate() !== +d || +h > 23 || +mi > 59 || +s > 59) throw bad();
  return ms - zoneOffsetMs(zone);
}

/** date, optional [T ]hh:mm[:ss[.fff]], optional Z / ±hh:mm / ±hhmm / ±hh. */
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;

function zoneOffsetMs(zone: string | undefined): number {
  if (zone === undefined || zone === 'Z' || zone === 'z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0')) * 60_000;
}

/** `--venues binance,okx` -> venues in the order given; undefined -> every venue. */
export function parseVenuesOpt(text: string | undefined, option = '--venues'): Venue[] {
  // Spot is a different market: merged only when asked for by name.
  if (text === undefined) return [...PERP_VENUES];
  const out: Venue[] = [];
  for (const part of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    if (!(VENUES as readonly string[]).includes(part)) throw new UsageError(`${option}: unknown venue ${JSON.stringify(part)}; known: ${VENUES.join(', ')}`);
    if (!out.includes(part as Venue)) out.push(part as Venue);
  }
  if (out.length === 0) throw new UsageError(`${option}: expected a comma-separated list of venues (${VENUES.join(', ')}), got ${JSON.stringify(text)}`);
  return out;
}
