/**
 * One paced JSON GET for start-up metadata (instrument lists, tiers): a timeout, one call at a
 * time per caller with a minimum spacing (so a list of tier requests stays inside the venue's
 * per-IP limit), and errors that name the path and what went wrong (HTTP status and the venue's
 * own message, or the network cause such as ECONNREFUSED / ENOTFOUND).
 */

export interface RestGetOptions {
  /** Per request. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** Least time between two request starts, ms. Default 0. */
  readonly spacingMs?: number;
}

/** A metadata request that failed: `path` is the endpoint path with its query. */
export class RestGetError extends Error {
  override readonly name = 'RestGetError';
  constructor(
    readonly path: string,
    readonly detail: string,
    /** HTTP status when the server answered. */
    readonly status?: number,
  ) {
    super(`GET ${path}: ${detail}`);
  }
}

function causeOf(e: unknown): string {
  const err = e as { message?: string; cause?: { code?: string; message?: string } };
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(e);
}

export class RestGetter {
  private lastStart = 0;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: RestGetOptions = {}) {}

  /** GET `url` and parse its body as JSON; queued behind earlier calls of this getter. */
  get(url: string): Promise<unknown> {
    const run = this.queue.then(() => this.once(url));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async once(url: string): Promise<unknown> {
    const spacing = this.o.spacingMs ?? 0;
    const wait = this.lastStart + spacing - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    this.lastStart = Date.now();
    const u = new URL(url);
    const path = u.pathname + u.search;
    const timeoutMs = this.o.timeoutMs ?? 10_000;
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
      text = await res.text();
    } catch (e) {
      const why = (e as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : causeOf(e);
      throw new RestGetError(path, why);
    }
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new RestGetError(path, `HTTP ${res.status}, not JSON: ${JSON.stringify(text.slice(0, 80))}`, res.status);
    }
    if (!res.ok) throw new RestGetError(path, `HTTP ${res.status} ${JSON.stringify(body).slice(0, 160)}`, res.status);
    return body;
  }
}
