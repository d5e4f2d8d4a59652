/**
 * Binance's own live-layer error: the loopback server's encoder refusing an event it cannot put
 * on the wire. REST failures are the shared RestError (live/rest.ts; what is retried:
 * rest.ts `isRetryable`); a refused SUBSCRIBE is said in the stream's status; malformed payloads
 * stay ParseError (core/errors.ts).
 */

export type BinanceLiveErrorCode = 'E_ENCODE'; // the loopback server was given an event it cannot put on the wire

export class BinanceLiveError extends Error {
  override readonly name = 'BinanceLiveError';
  constructor(
    readonly code: BinanceLiveErrorCode,
    /** Where: the field or the event. */
    readonly source: string,
    /** What went wrong, in words. */
    readonly detail: string,
  ) {
    super(`${source}: ${detail}`);
  }
}
