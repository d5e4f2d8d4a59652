/**
 * OKX v5 REST as the live client calls it (history-trades back-fill, open interest): the shared
 * PacedRest (src/venues/live/rest.ts) with OKX's limits. Answers are `{"code":"0","msg":"",
 * "data":[..]}`; any other `code` is the venue's error, whatever the HTTP status. The tightest
 * public endpoint we call, history-trades, allows "20 requests per 2 seconds" per IP (so does
 * open-interest): that is the budget, and calls are spaced 110 ms apart. Past it OKX answers
 * HTTP 429 with code 50011 and no Retry-After: every call then waits one window.
 */
import { isTransient, type PacedRest, type RestError, type RestPolicy } from '../live/rest.ts';
import { okxRestEnvelope } from './parse.ts';

/** 50001 service temporarily unavailable, 50004 endpoint timeout, 50011 rate limit, 50013 busy: ask again later. */
const RETRYABLE_CODES = new Set(['50001', '50004', '50011', '50013']);

/** Worth asking again later: no answer, 5xx, 429, or one of OKX's "busy" codes. */
export function isRetryable(e: RestError): boolean {
  return isTransient(e) || (e.venueCode !== undefined && RETRYABLE_CODES.has(e.venueCode));
}

export const OKX_REST_POLICY: RestPolicy = {
  budget: { limit: 20, windowMs: 2_000 },
  spacingMs: 110,
  venueError: (body) => {
    if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
    const { code, msg } = body as { code?: unknown; msg?: unknown };
    return typeof code === 'string' && code !== '0' ? { code, msg: typeof msg === 'string' ? msg : '' } : undefined;
  },
  isRetryable,
};

/** GET an OKX endpoint and return its `data` array (a body that is no envelope is a ParseError). */
export async function okxData(rest: PacedRest, url: string): Promise<readonly unknown[]> {
  const { body } = await rest.get(url);
  return okxRestEnvelope(body).data;
}
