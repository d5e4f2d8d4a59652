/**
 * One message to an HTTP endpoint with bounded retries: what the webhook and Telegram channels
 * share. An attempt is classified by the channel; this loop waits (exponential backoff, or the
 * server's own wait on 429) and tries again up to `maxAttempts` in all.
 *
 * Backoff: `baseBackoffMs` x 2^(attempt-1), at most `maxBackoffMs` (1 s, 2 s, 4 s, 8 s by
 * default), no jitter: one process sends to one endpoint, there is no herd to spread.
 */
import { errorChain } from './redact.ts';

export type AttemptResult =
  | { readonly kind: 'ok'; readonly status: number }
  /** Worth another try (5xx, 429, timeout, connection error); `waitMs` = the server said how long. */
  | { readonly kind: 'retry'; readonly status?: number; readonly error: string; readonly waitMs?: number }
  /** Not worth another (4xx other than 429). */
  | { readonly kind: 'fail'; readonly status: number; readonly error: string };

/** What one message became; `error` is already redacted. */
export interface SendOutcome {
  readonly ok: boolean;
  readonly attempts: number;
  /** HTTP status of the last attempt, when it got one. */
  readonly status?: number;
  readonly error?: string;
}

export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly timeoutMs: number;
  readonly baseBackoffMs: number;
  readonly maxBackoffMs: number;
}

export const DEFAULT_BACKOFF = { baseBackoffMs: 1000, maxBackoffMs: 30_000 } as const;

let warmed = false;

/**
 * Node loads its fetch (undici) on the first call, which holds the event loop for tens of ms
 * (up to 200 ms on a busy machine): channels call this when they are made, at start, so that the
 * first alert does not stall the feed it fires from.
 */
export function warmFetch(): void {
  if (warmed) return;
  warmed = true;
  fetch('data:,').catch(() => {});
}

/** Sleep that ends early (false) when `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * POST `body` as JSON; a response is classified by `classify`, a timeout or connection error is
 * retried. `redact` is applied to every error text (it may hold the URL).
 */
export async function postWithRetries(opts: {
  readonly url: string;
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly policy: RetryPolicy;
  readonly classify: (status: number, body: string, headers: Headers) => AttemptResult;
  readonly redact: (text: string) => string;
  /** Aborts waits and the request in flight (shutdown). */
  readonly signal?: AbortSignal;
  /** Runs each attempt (Telegram's per-chat pacing wraps it). */
  readonly paced?: <T>(attempt: () => Promise<T>) => Promise<T>;
}): Promise<SendOutcome> {
  const { policy, redact } = opts;
  let last: AttemptResult | undefined;
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    if (attempt > 1) {
      const backoff = Math.min(policy.maxBackoffMs, policy.baseBackoffMs * 2 ** (attempt - 2));
      const wait = last?.kind === 'retry' && last.waitMs !== undefined ? last.waitMs : backoff;
      if (!(await sleep(wait, opts.signal))) return { ok: false, attempts: attempt - 1, status: status(last), error: redact(`stopped while waiting to retry (${describe(last)})`) };
    }
    const attempt1 = () => attemptOnce(opts, policy.timeoutMs);
    last = await (opts.paced ? opts.paced(attempt1) : attempt1());
    if (last.kind === 'ok') return { ok: true, attempts: attempt, status: last.status };
    if (last.kind === 'fail') return { ok: false, attempts: attempt, status: last.status, error: redact(last.error) };
    if (opts.signal?.aborted) return { ok: false, attempts: attempt, status: status(last), error: redact(`stopped (${last.error})`) };
  }
  return { ok: false, attempts: policy.maxAttempts, status: status(last), error: redact(describe(last)) };
}

const status = (r: AttemptResult | undefined) => (r && r.kind !== 'ok' ? r.status : undefined);
const describe = (r: AttemptResult | undefined) => (r && r.kind !== 'ok' ? r.error : 'no attempt');

async function attemptOnce(opts: Parameters<typeof postWithRetries>[0], timeoutMs: number): Promise<AttemptResult> {
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([timeout, opts.signal]) : timeout;
  try {
    const res = await fetch(opts.url, { method: 'POST', headers: { 'content-type': 'application/json', ...opts.headers }, body: opts.body, signal });
    // The body is read under the same deadline: a server that sends headers and then hangs is a timeout too.
    const text = await res.text();
    return opts.classify(res.status, text, res.headers);
  } catch (e) {
    if (timeout.aborted) return { kind: 'retry', error: `timed out after ${timeoutMs} ms` };
    return { kind: 'retry', error: errorChain(e) };
  }
}

/**
 * The usual HTTP classification: 2xx ok, 429 and 5xx retried, other statuses failed. A 429 or
 * 503 with `Retry-After: <seconds>` (RFC 9110 section 10.2.3) is retried after that long.
 */
export function classifyHttp(status: number, detail: string, retryAfter?: string | null): AttemptResult {
  if (status >= 200 && status < 300) return { kind: 'ok', status };
  const error = `HTTP ${status}${detail ? ` ${detail}` : ''}`;
  if (status === 429 || status >= 500) {
    const seconds = retryAfter != null && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter) : undefined;
    return { kind: 'retry', status, error, waitMs: seconds !== undefined ? seconds * 1000 : undefined };
  }
  return { kind: 'fail', status, error };
}
