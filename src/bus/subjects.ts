/**
 * Bus subjects: `md.<venue>.<symbol>.<type>`, one per stream of normalized events, so a consumer
 * filters by venue, symbol or type with NATS wildcards (`md.binance.>`, `md.*.*.trade`).
 *
 * A NATS token cannot hold `.`, `*`, `>` or white space, and symbols may hold `.` (Tardis and
 * ccxt spellings) or letters outside ASCII (Binance lists `币安人生USDT`). Such bytes are written
 * `~XX` (UTF-8 bytes in upper-case hex, `~` itself included), so every symbol maps to one token
 * and back: `BTC.P` -> `BTC~2EP`. Plain ASCII symbols (all of the perpetuals) are their own token.
 */
import { VENUES, EVENT_TYPES, type EventType, type Venue } from '../core/events.ts';
import { BusError } from './errors.ts';

export const SUBJECT_ROOT = 'md';
/** Every market-data subject: the stream's filter. */
export const ALL_SUBJECTS = `${SUBJECT_ROOT}.>`;

/** Token bytes kept as they are: letters, digits and `_ : / -` (the rest of SYMBOL_PATTERN is escaped). */
function plain(b: number): boolean {
  return (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || b === 95 || b === 58 || b === 47 || b === 45;
}

const HEX = '0123456789ABCDEF';

export function symbolToken(symbol: string): string {
  let simple = true;
  for (let i = 0; i < symbol.length && simple; i++) simple = plain(symbol.charCodeAt(i));
  if (simple) return symbol;
  let out = '';
  for (const b of Buffer.from(symbol, 'utf8')) out += plain(b) ? String.fromCharCode(b) : `~${HEX[b >> 4]}${HEX[b & 15]}`;
  return out;
}

export function tokenSymbol(token: string): string {
  if (!token.includes('~')) return token;
  const bytes: number[] = [];
  for (let i = 0; i < token.length; i++) {
    if (token[i] !== '~') {
      bytes.push(token.charCodeAt(i));
      continue;
    }
    const hex = token.slice(i + 1, i + 3);
    if (!/^[0-9A-F]{2}$/.test(hex)) throw new BusError('E_BATCH_SUBJECT', `bad escape "~${hex}" in subject token ${JSON.stringify(token)}`, 'subject.symbol');
    bytes.push(parseInt(hex, 16));
    i += 2;
  }
  return Buffer.from(bytes).toString('utf8');
}

export function subjectOf(venue: Venue, symbol: string, type: EventType): string {
  return `${SUBJECT_ROOT}.${venue}.${symbolToken(symbol)}.${type}`;
}

export interface SubjectParts {
  readonly venue: Venue;
  readonly symbol: string;
  readonly type: EventType;
}

export function parseSubject(subject: string): SubjectParts {
  const t = subject.split('.');
  if (t.length !== 4 || t[0] !== SUBJECT_ROOT) throw new BusError('E_BATCH_SUBJECT', `not a market-data subject md.<venue>.<symbol>.<type>: ${JSON.stringify(subject)}`, 'subject');
  if (!(VENUES as readonly string[]).includes(t[1])) throw new BusError('E_BATCH_SUBJECT', `unknown venue in subject ${JSON.stringify(subject)}`, 'subject.venue');
  if (!(EVENT_TYPES as readonly string[]).includes(t[3])) throw new BusError('E_BATCH_SUBJECT', `unknown event type in subject ${JSON.stringify(subject)}`, 'subject.type');
  return { venue: t[1] as Venue, symbol: tokenSymbol(t[2]), type: t[3] as EventType };
}
