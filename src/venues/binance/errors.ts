/**
 * Live layer errors for Binance (network, REST, stream requests, the mock's encoder), after
 * nautilus `websocket/error.rs` + `http/error.rs`: one type with a stable `code`, the source (URL
 * or stream) and, when the venue said something, its own code and words. Malformed payloads stay
 * ParseError (core/errors.ts): they are the venue layer's.
 */

export type BinanceLiveErrorCode =
  | 'E_WS_REFUSED' // the stream server refused a request: {"error":{"code":2,"msg":...},"id":N}
  | 'E_REST_STATUS' // a REST call answered non-2xx (venueCode/msg when the body says, e.g. -1121 Invalid symbol.)
  | 'E_REST_RATE_LIMIT' // 429 (back off) or 418 (IP banned): retryAfterMs from Retry-After
  | 'E_REST_NETWORK' // no answer: connection refused, reset, timeout
  | 'E_BACKFILL' // aggTrade ids could not all be fetched back
  | 'E_ENCODE'; // the loopback server was given an event it cannot put on the wire

export class BinanceLiveError extends Error {
  override readonly name = 'BinanceLiveError';
  constructor(
    readonly code: BinanceLiveErrorCode,
    /** Where: the URL path and query, or the stream / request. */
    readonly source: string,
    /** What went wrong, in words. */
    readonly detail: string,
    /** The venue's own error code (`-1121`, `2`), when it gave one. */
    readonly venueCode?: number,
    /** How long to wait before asking again, ms (Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(`${source}: ${detail}${venueCode !== undefined ? ` (venue code ${venueCode})` : ''}`);
  }
}

/**
 * Worth asking again later? Network failures, 5xx and rate limits are; a 4xx the venue explains
 * (bad symbol, bad parameter) is not: the same request gets the same answer.
 */
export function shouldRetryBinance(e: unknown): boolean {
  if (!(e instanceof BinanceLiveError)) return false;
  switch (e.code) {
    case 'E_REST_NETWORK':
    case 'E_REST_RATE_LIMIT':
      return true;
    case 'E_REST_STATUS':
      return e.venueCode === undefined || e.venueCode === -1000 || e.venueCode === -1001 || e.venueCode === -1003;
    default:
      return false;
  }
}
