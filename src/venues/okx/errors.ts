/**
 * The OKX live layer's error: what went wrong talking to OKX (not a malformed frame: that is
 * ParseError). Each has a stable `code`; `where` names the stream or endpoint. live.ts puts the
 * message in StreamStatus.lastError and never throws these at the consumer.
 */
export type OkxLiveErrorCode =
  | 'E_OKX_SUBSCRIBE' // the venue refused a subscription (error event, e.g. 60018 unknown instId)
  | 'E_OKX_SEQUENCE' // a books update does not follow the previous seqId
  | 'E_OKX_CHECKSUM' // the local book's CRC32 differs from the venue's
  | 'E_OKX_NOTICE' // the venue announced a disconnect (notice 64008)
  | 'E_OKX_DISCONNECT' // the socket went down (closed, error, silent stall)
  | 'E_OKX_HANDLER'; // a consumer handler threw while events were delivered

export class OkxLiveError extends Error {
  override readonly name = 'OkxLiveError';
  constructor(
    readonly code: OkxLiveErrorCode,
    /** The stream (`books:BTC-USDT-SWAP`) or endpoint (`GET /api/v5/market/history-trades`). */
    readonly where: string,
    readonly detail: string,
  ) {
    super(`${where}: ${detail} [${code}]`);
  }
}
