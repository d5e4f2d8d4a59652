/**
 * The live layer's errors for Bybit (nautilus `websocket/error.rs`): what went wrong on the
 * connection, as opposed to a malformed frame (ParseError) or a REST call (the shared RestError,
 * live/rest.ts). A stream's `lastError` is rendered `[CODE] message`, so tools and tests can match the code.
 */

export type BybitLiveErrorCode =
  | 'E_SUBSCRIBE' // Bybit refused a subscribe request ({"success":false,"ret_msg":"error:handler not found,..."})
  | 'E_OP' // Bybit refused another op (ping, unsubscribe) or could not decode what we sent
  | 'E_RESYNC' // a book resync brought no snapshot in time (the socket is reopened)
  | 'E_DISCONNECT'; // the socket went down (reason from the socket layer)

export class BybitLiveError extends Error {
  override readonly name = 'BybitLiveError';
  constructor(
    readonly code: BybitLiveErrorCode,
    readonly detail: string,
    /** The topic or URL concerned. */
    readonly where?: string,
  ) {
    super(where ? `${where}: ${detail}` : detail);
  }
}

/** A stream's `lastError` text for any error: `[E_SUBSCRIBE] orderbook.200.NOPEUSDT: ...`. */
export function errorText(e: unknown): string {
  if (e instanceof Error && 'code' in e && typeof (e as { code: unknown }).code === 'string') return `[${(e as { code: string }).code}] ${e.message}`;
  return `[E_INTERNAL] ${e instanceof Error ? e.message : String(e)}`;
}
