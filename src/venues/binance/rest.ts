/**
 * Binance USD-M REST as the live client calls it (depth snapshots, aggTrades back-fill, open
 * interest polls): the shared PacedRest (src/venues/live/rest.ts) with Binance's IP limits. A
 * REQUEST_WEIGHT budget of 2400 per rolling minute, each call charged its documented weight
 * (urls.ts), raised to the venue's own count from `X-MBX-USED-WEIGHT-1M`; every call paused while
 * a 429 / 418 `Retry-After` runs (General Info > IP Limits). Error bodies are
 * `{"code":-1121,"msg":"Invalid symbol."}`.
 */
import { isTransient, type RestError, type RestPolicy } from '../live/rest.ts';
import { BINANCE_REST_WEIGHT_PER_MINUTE } from './urls.ts';

/**
 * Worth asking again later? Network failures, 5xx and rate limits are, and the venue's
 * -1000 (unknown error), -1001 (disconnected), -1003 (too many requests); a 4xx the venue explains
 * (bad symbol, bad parameter) is not: the same request gets the same answer.
 */
export function isRetryable(e: RestError): boolean {
  if (isTransient(e)) return true;
  return e.code === 'E_REST_STATUS' && (e.venueCode === undefined || e.venueCode === '-1000' || e.venueCode === '-1001' || e.venueCode === '-1003');
}

export const BINANCE_REST_POLICY: RestPolicy = {
  budget: { limit: BINANCE_REST_WEIGHT_PER_MINUTE, windowMs: 60_000 },
  usedWeightHeader: 'x-mbx-used-weight-1m',
  venueError: (body) => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
    const { code, msg } = body as { code?: unknown; msg?: unknown };
    return typeof code === 'number' ? { code: String(code), msg: typeof msg === 'string' ? msg : '' } : undefined;
  },
  isRetryable,
};
