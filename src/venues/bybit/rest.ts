/**
 * Bybit v5 REST as the live client calls it (recent-trade back-fill): the shared PacedRest
 * (src/venues/live/rest.ts) with Bybit's limits. Answers are `{"retCode":0,"retMsg":"OK",
 * "result":{..},"time":..}`; any other `retCode` is the venue's error, whatever the HTTP status.
 * "HTTP IP limit": 600 requests per 5 seconds per IP (docs/v5/rate-limit); past it Bybit answers
 * 403 "access too frequent" and `retCode` 10006 / 10018 (docs/v5/error).
 */
import { isTransient, type RestError, type RestPolicy } from '../live/rest.ts';

/** 10006 too many visits, 10018 IP rate limit, 10016 server error or service restarting (docs/v5/error). */
const RETRYABLE_CODES = new Set(['10006', '10016', '10018']);

/** Worth asking again later: no answer, 5xx, 429, or one of Bybit's "busy" codes. */
export function isRetryable(e: RestError): boolean {
  return isTransient(e) || (e.venueCode !== undefined && RETRYABLE_CODES.has(e.venueCode));
}

export const BYBIT_REST_POLICY: RestPolicy = {
  budget: { limit: 600, windowMs: 5_000 },
  venueError: (body) => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
    const { retCode, retMsg } = body as { retCode?: unknown; retMsg?: unknown };
    return typeof retCode === 'number' && retCode !== 0 ? { code: String(retCode), msg: typeof retMsg === 'string' ? retMsg : '' } : undefined;
  },
  isRetryable,
};
