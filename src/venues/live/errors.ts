/**
 * The live layer's error (nautilus `websocket/error.rs`): what went wrong talking to a venue, as
 * opposed to a malformed frame (ParseError, core/errors.ts) or a REST call (RestError, rest.ts).
 * Connectors never throw these at the consumer: they put `errorText(e)` in the stream's
 * `StreamStatus.lastError`, one format for every venue and every error:
 *
 *   [E_SUBSCRIBE] books:NOPE-USDT-SWAP: OKX error 60018: Wrong URL or channel...
 *   [E_NUMBER] publicTrade.BTCUSDT frame 812: expected a decimal string (field data[0].p, value "x")
 *   [E_REST_STATUS] GET /fapi/v1/depth?symbol=BTCUSDT&limit=1000: HTTP 503: ... (venue code -1001)
 *
 * so a tool (or a test) reads the code between the brackets and a person reads the rest.
 */
import { ParseError } from '../../core/errors.ts';
import { RestError } from './rest.ts';

export type LiveErrorCode =
  | 'E_SUBSCRIBE' // the venue refused a subscription, or no longer lists it
  | 'E_OP' // the venue refused another request (ping, unsubscribe) or could not read it
  | 'E_DISCONNECT' // the socket went down: closed, socket error, silent stall, a venue notice
  | 'E_SEQUENCE' // a book update does not follow the previous one
  | 'E_CHECKSUM' // the local book's checksum differs from the venue's
  | 'E_RESYNC' // a book resync brought no snapshot in time
  | 'E_BACKFILL' // missing trades could not all be fetched back
  | 'E_HANDLER' // a consumer handler (onEvents, onGap, onStatus) threw
  | 'E_ENCODE'; // a loopback server was given an event it cannot put on the wire

export class LiveError extends Error {
  override readonly name = 'LiveError';
  constructor(
    readonly code: LiveErrorCode,
    /** The stream (`btcusdt@aggTrade`, `books:BTC-USDT-SWAP`), connection or field concerned. */
    readonly where: string,
    /** What went wrong, in words. */
    readonly detail: string,
  ) {
    super(`${where}: ${detail}`);
  }
}

/** `[CODE] message` for any error; a bug of ours (not the venue's doing) is `E_INTERNAL`. */
export function errorText(e: unknown): string {
  if (e instanceof LiveError || e instanceof RestError || e instanceof ParseError) return `[${e.code}] ${e.message}`;
  return `[E_INTERNAL] ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`;
}
