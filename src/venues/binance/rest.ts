/**
 * The REST calls of the live client (depth snapshots, aggTrades back-fill, open interest polls)
 * with Binance's IP limits kept: a local REQUEST_WEIGHT budget per rolling minute (2400 on USD-M,
 * each call counted with its documented weight, and the venue's own count from the
 * `X-MBX-USED-WEIGHT-1M` header when it is higher), and every call paused while a 429 / 418
 * `Retry-After` runs ("When a 429 is received, it's your obligation as an API to back off";
 * General Info > IP Limits).
 */
import { ParseError, shorten } from '../../core/errors.ts';
import { BinanceLiveError } from './errors.ts';
import { BINANCE_REST_WEIGHT_PER_MINUTE } from './urls.ts';

export interface BinanceRestOptions {
  /** Request weight allowed per rolling minute. Default 2400 (USD-M REQUEST_WEIGHT). */
  readonly weightPerMinute?: number;
  /** Per request. Default 10 000 ms. */
  readonly timeoutMs?: number;
  readonly now?: () => number;
}

export interface BinanceRestResponse {
  readonly body: unknown;
  /** Local time the body arrived, epoch ms. */
  readonly localMs: number;
}

const MINUTE = 60_000;

export class BinanceRest {
  private readonly spent: { at: number; weight: number }[] = [];
  private pausedUntil = 0;
  private closed = false;
  private readonly inflight = new Set<AbortController>();
  private readonly sleepers = new Set<() => void>();

  constructor(private readonly o: BinanceRestOptions = {}) {}

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** Weight spent in the last minute. */
  usedWeight(): number {
    this.expire();
    let w = 0;
    for (const s of this.spent) w += s.weight;
    return w;
  }

  /** GET `url` (its path and query name it in errors) once the budget allows `weight`. */
  async get(url: string, weight: number): Promise<BinanceRestResponse> {
    const source = pathOf(url);
    await this.admit(weight, source);
    const ac = new AbortController();
    this.inflight.add(ac);
    const timer = setTimeout(() => ac.abort(new Error(`no answer within ${this.o.timeoutMs ?? 10_000} ms`)), this.o.timeoutMs ?? 10_000);
    let res: Response;
    let text: string;
    try {
      res = await fetch(url, { signal: ac.signal, headers: { accept: 'application/json' } });
      text = await res.text();
    } catch (e) {
      const why = ac.signal.aborted && ac.signal.reason instanceof Error ? ac.signal.reason.message : (e as Error).message;
      throw new BinanceLiveError('E_REST_NETWORK', source, this.closed ? 'client stopped' : `request failed: ${why}`);
    } finally {
      clearTimeout(timer);
      this.inflight.delete(ac);
    }
    const localMs = this.now();
    this.noteVenueWeight(res.headers.get('x-mbx-used-weight-1m'));
    if (res.status === 429 || res.status === 418) {
      const after = Number(res.headers.get('retry-after'));
      const retryAfterMs = Number.isFinite(after) && after > 0 ? after * 1000 : MINUTE;
      this.pausedUntil = Math.max(this.pausedUntil, localMs + retryAfterMs);
      const venue = venueError(text);
      throw new BinanceLiveError('E_REST_RATE_LIMIT', source, `HTTP ${res.status}${res.status === 418 ? ' (IP banned)' : ''}: ${venue?.msg ?? shorten(text)}; paused ${retryAfterMs} ms`, venue?.code, retryAfterMs);
    }
    if (!res.ok) {
      const venue = venueError(text);
      throw new BinanceLiveError('E_REST_STATUS', source, `HTTP ${res.status}: ${venue?.msg ?? shorten(text)}`, venue?.code);
    }
    try {
      return { body: JSON.parse(text), localMs };
    } catch (e) {
      throw new ParseError('E_JSON', `REST body is not JSON: ${(e as Error).message}`, undefined, text).at(source);
    }
  }

  /** Abort everything in flight and every wait; later calls fail. */
  close(): void {
    this.closed = true;
    for (const ac of this.inflight) ac.abort(new Error('client stopped'));
    for (const wake of this.sleepers) wake();
  }

  private expire(): void {
    const cutoff = this.now() - MINUTE;
    while (this.spent.length > 0 && this.spent[0].at <= cutoff) this.spent.shift();
  }

  private noteVenueWeight(header: string | null): void {
    const venue = Number(header);
    if (header === null || !Number.isFinite(venue)) return;
    const ours = this.usedWeight();
    if (venue > ours) this.spent.push({ at: this.now(), weight: venue - ours });
  }

  private async admit(weight: number, source: string): Promise<void> {
    const budget = this.o.weightPerMinute ?? BINANCE_REST_WEIGHT_PER_MINUTE;
    for (;;) {
      if (this.closed) throw new BinanceLiveError('E_REST_NETWORK', source, 'client stopped');
      const now = this.now();
      let wait = this.pausedUntil - now;
      if (wait <= 0) {
        const used = this.usedWeight();
        if (used + weight <= budget || this.spent.length === 0) {
          this.spent.push({ at: now, weight });
          return;
        }
        // Wait until enough of the oldest spending leaves the window.
        let freed = used + weight - budget;
        for (const s of this.spent) {
          freed -= s.weight;
          wait = s.at + MINUTE - now;
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

/** `{"code":-1121,"msg":"Invalid symbol."}` out of an error body, if it is one. */
function venueError(text: string): { code: number; msg: string } | undefined {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === 'object' && v !== null && typeof (v as { code?: unknown }).code === 'number') {
      const { code, msg } = v as { code: number; msg?: unknown };
      return { code, msg: typeof msg === 'string' ? msg : '' };
    }
  } catch {
    // not JSON: the caller shows the text
  }
  return undefined;
}

function pathOf(url: string): string {
  try {
    const u = new URL(url);
    return `GET ${u.pathname}${u.search}`;
  } catch {
    return `GET ${url}`;
  }
}
