/**
 * Paced REST for every live connector: one `PacedRest` per client, configured by its venue's
 * `RestPolicy` (src/venues/<venue>/rest.ts). It keeps the venue's rate limit locally, so the
 * venue never has to refuse us:
 *
 *   - a budget of `limit` units per rolling `windowMs`, each call charged its `weight` (Binance
 *     REQUEST_WEIGHT 2400 per minute with per-endpoint weights; OKX 20 requests per 2 s on
 *     history-trades; Bybit 600 requests per 5 s), raised to the venue's own count when it
 *     reports one in a header (Binance `X-MBX-USED-WEIGHT-1M`);
 *   - a minimum spacing between calls (`spacingMs`), calls admitted in the order they were made;
 *   - HTTP 429 / 418 pause every call for `Retry-After` (else one budget window): "When a 429 is
 *     received, it's your obligation as an API to back off" (Binance General Info > IP Limits);
 *   - a per-call timeout, and a retryable failure (network, 5xx, rate limit, the venue's "busy"
 *     codes: the policy's `isRetryable`) tried again after an exponential delay, `attempts` in all.
 *
 * Usage (what a new REST call needs; nothing else):
 *
 *   const rest = new PacedRest(BINANCE_REST_POLICY, { timeoutMs: 10_000 });
 *   const { body, localMs } = await rest.get(binanceDepthUrl(base, 'BTCUSDT'), { weight: 20 });
 *   // body: the parsed JSON; a failure throws RestError (code, status, venueCode, retryAfterMs)
 *   rest.close(); // on stop: aborts what is in flight and every wait
 *
 * Parsing the body is the caller's (the venue's parse.ts), so a malformed answer is a ParseError
 * naming the field, never a retry.
 */
import { ParseError, shorten } from '../../core/errors.ts';

export type RestErrorCode =
  | 'E_REST_STATUS' // non-2xx (venueCode / its words when the body says)
  | 'E_REST_VENUE' // 2xx whose body is the venue's error envelope (OKX `code` != "0", Bybit `retCode` != 0)
  | 'E_REST_RATE_LIMIT' // 429 (back off) or 418 (IP banned): retryAfterMs from Retry-After
  | 'E_REST_NETWORK' // no answer: connection refused, reset, DNS, timeout
  | 'E_REST_STOPPED'; // the client was stopped (close()) before or while the call ran

/** A REST call that failed: a stable `code`, where (method, path and query) and why. */
export class RestError extends Error {
  override readonly name = 'RestError';
  constructor(
    readonly code: RestErrorCode,
    /** `GET /fapi/v1/depth?symbol=BTCUSDT&limit=1000`. */
    readonly source: string,
    /** What went wrong, in words. */
    readonly detail: string,
    /** HTTP status; 0 when there was no answer. */
    readonly status = 0,
    /** The venue's own error code (`-1121`, `50011`, `10006`), when it gave one. */
    readonly venueCode?: string,
    /** How long every call is paused, ms (Retry-After). */
    readonly retryAfterMs?: number,
  ) {
    super(`${source}: ${detail}${venueCode !== undefined ? ` (venue code ${venueCode})` : ''}`);
  }
}

/** What a venue's REST looks like: its limits and how it says "error". */
export interface RestPolicy {
  /** Rolling budget: at most `limit` units of weight per `windowMs`. */
  readonly budget: { readonly limit: number; readonly windowMs: number };
  /** Minimum time between two calls, ms. Default 0. */
  readonly spacingMs?: number;
  /** Response header with the venue's own count of the budget used in the window. */
  readonly usedWeightHeader?: string;
  /** The venue's error in a parsed body (any status), or undefined when the body is not one. */
  readonly venueError: (body: unknown) => { readonly code: string; readonly msg: string } | undefined;
  /** Worth asking again later (the same request may get another answer)? */
  readonly isRetryable: (e: RestError) => boolean;
}

export interface PacedRestOptions {
  /** One call's timeout, ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** Tries per call for a retryable failure (1 = no retry). Default 3. */
  readonly attempts?: number;
  /** Delay before the first retry, doubling after; a Retry-After wait replaces it. Default 500 ms. */
  readonly retryBaseMs?: number;
  /** Overrides the policy's budget limit (tests, a shared IP). */
  readonly budgetLimit?: number;
  /** Overrides the policy's spacing. */
  readonly spacingMs?: number;
  /** Wall clock for `RestResponse.localMs` (tests); default Date.now. Pacing uses a monotonic clock. */
  readonly now?: () => number;
}

export interface RestCall {
  /** Units of the budget this call costs (its documented weight). Default 1. */
  readonly weight?: number;
  /** Tries for this call (overrides the client's `attempts`). */
  readonly attempts?: number;
}

export interface RestResponse {
  /** The parsed JSON body. */
  readonly body: unknown;
  /** Local time the body arrived, epoch ms. */
  readonly localMs: number;
}

/**
 * Worth retrying for any venue: no answer, a 5xx, a rate limit. A 4xx the venue explains (bad
 * symbol, bad parameter) is not: the same request gets the same answer. Venues add their codes.
 */
export function isTransient(e: RestError): boolean {
  if (e.code === 'E_REST_NETWORK' || e.code === 'E_REST_RATE_LIMIT') return true;
  return e.code === 'E_REST_STATUS' && e.status >= 500;
}

export class PacedRest {
  private readonly spent: { at: number; weight: number }[] = [];
  private pausedUntil = 0;
  private lastCallAt = -Infinity;
  private closed = false;
  private chain: Promise<unknown> = Promise.resolve();
  private readonly inflight = new Set<AbortController>();
  private readonly sleepers = new Set<() => void>();

  constructor(
    readonly policy: RestPolicy,
    private readonly o: PacedRestOptions = {},
  ) {}

  /** Wall clock, for `localMs` only. */
  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /**
   * The clock of the budget, spacing and pauses: monotonic, so a wall clock stepped back (NTP, a
   * VM resumed) can neither stall the calls for as long as it moved nor let a burst through.
   */
  private mono(): number {
    return performance.now();
  }

  /** Weight spent in the current window. */
  usedWeight(): number {
    this.expire();
    let w = 0;
    for (const s of this.spent) w += s.weight;
    return w;
  }

  /** GET `url` once the budget allows, retried while retryable. Calls are admitted in order; their answers may overlap. */
  get(url: string, call: RestCall = {}): Promise<RestResponse> {
    return this.withRetry(url, call);
  }

  /** Abort everything in flight and every wait; later calls fail with E_REST_STOPPED. */
  close(): void {
    this.closed = true;
    for (const ac of this.inflight) ac.abort(new Error('client stopped'));
    for (const wake of this.sleepers) wake();
  }

  private async withRetry(url: string, call: RestCall): Promise<RestResponse> {
    const attempts = Math.max(1, call.attempts ?? this.o.attempts ?? 3);
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(url, call.weight ?? 1);
      } catch (e) {
        if (!(e instanceof RestError) || attempt >= attempts || this.closed || !this.policy.isRetryable(e)) throw e;
        // A Retry-After pause is already waited for by admit(); otherwise back off.
        if (e.retryAfterMs === undefined) await this.sleep((this.o.retryBaseMs ?? 500) * 2 ** (attempt - 1));
      }
    }
  }

  private async once(url: string, weight: number): Promise<RestResponse> {
    const source = callName(url);
    const admitted = this.chain.then(() => this.admit(weight, source));
    this.chain = admitted.catch(() => undefined);
    await admitted;
    const ac = new AbortController();
    this.inflight.add(ac);
    const timeoutMs = this.o.timeoutMs ?? 10_000;
    const timer = setTimeout(() => ac.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { signal: ac.signal, headers: { accept: 'application/json' } });
      text = await res.text();
    } catch (e) {
      if (this.closed) throw new RestError('E_REST_STOPPED', source, 'client stopped');
      const why = ac.signal.aborted && ac.signal.reason instanceof Error ? ac.signal.reason.message : errorWords(e);
      throw new RestError('E_REST_NETWORK', source, `request failed: ${why}`);
    } finally {
      clearTimeout(timer);
      this.inflight.delete(ac);
    }
    const localMs = this.now();
    this.noteVenueWeight(this.policy.usedWeightHeader === undefined ? null : res.headers.get(this.policy.usedWeightHeader));
    let body: unknown;
    let json = true;
    try {
      body = JSON.parse(text);
    } catch {
      json = false;
    }
    const venue = json ? this.policy.venueError(body) : undefined;
    if (res.status === 429 || res.status === 418) {
      const after = Number(res.headers.get('retry-after'));
      const retryAfterMs = Number.isFinite(after) && after > 0 ? after * 1000 : this.policy.budget.windowMs;
      this.pausedUntil = Math.max(this.pausedUntil, this.mono() + retryAfterMs);
      throw new RestError('E_REST_RATE_LIMIT', source, `HTTP ${res.status}${res.status === 418 ? ' (IP banned)' : ''}: ${venue?.msg ?? shorten(text)}; paused ${retryAfterMs} ms`, res.status, venue?.code, retryAfterMs);
    }
    if (!res.ok) throw new RestError('E_REST_STATUS', source, `HTTP ${res.status}: ${venue?.msg ?? shorten(text)}`, res.status, venue?.code);
    if (!json) throw new ParseError('E_JSON', 'REST body is not JSON', undefined, text).at(source);
    if (venue) throw new RestError('E_REST_VENUE', source, `HTTP ${res.status}: ${venue.msg}`, res.status, venue.code);
    return { body, localMs };
  }

  private expire(): void {
    const cutoff = this.mono() - this.policy.budget.windowMs;
    while (this.spent.length > 0 && this.spent[0].at <= cutoff) this.spent.shift();
  }

  private noteVenueWeight(header: string | null): void {
    const venue = Number(header);
    if (header === null || !Number.isFinite(venue)) return;
    const ours = this.usedWeight();
    if (venue > ours) this.spent.push({ at: this.mono(), weight: venue - ours });
  }

  private async admit(weight: number, source: string): Promise<void> {
    const budget = this.o.budgetLimit ?? this.policy.budget.limit;
    const spacing = this.o.spacingMs ?? this.policy.spacingMs ?? 0;
    for (;;) {
      if (this.closed) throw new RestError('E_REST_STOPPED', source, 'client stopped');
      const now = this.mono();
      let wait = Math.max(this.pausedUntil - now, this.lastCallAt + spacing - now);
      if (wait <= 0) {
        const used = this.usedWeight();
        if (used + weight <= budget || this.spent.length === 0) {
          this.spent.push({ at: now, weight });
          this.lastCallAt = now;
          return;
        }
        // Wait until enough of the oldest spending leaves the window.
        let freed = used + weight - budget;
        for (const s of this.spent) {
          freed -= s.weight;
          wait = s.at + this.policy.budget.windowMs - now;
          if (freed <= 0) break;
        }
      }
      await this.sleep(Math.max(1, wait));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(t);
        this.sleepers.delete(wake);
        resolve();
      };
      const t = setTimeout(wake, ms);
      this.sleepers.add(wake);
    });
  }
}

/** `GET /path?query` of a URL: how errors name the call. */
function callName(url: string): string {
  try {
    const u = new URL(url);
    return `GET ${u.pathname}${u.search}`;
  } catch {
    return `GET ${url}`;
  }
}

/** fetch's TypeError says only "fetch failed": the cause (ECONNREFUSED, ENOTFOUND) is what a user needs. */
function errorWords(e: unknown): string {
  const err = e as Error & { cause?: { code?: string; message?: string } };
  const cause = err?.cause;
  if (cause && typeof cause === 'object') return `${err.message}: ${cause.code ?? ''}${cause.code && cause.message ? ' ' : ''}${cause.message ?? ''}`.trim();
  return err?.message ?? String(e);
}
