/**
 * The browser side of src/server/api.ts: one typed call per endpoint. A non-2xx answer becomes
 * an `ApiRequestError` carrying the server's message and the parameter it blames, so the page can
 * say what went wrong instead of drawing an empty chart.
 */
import type {
  AgreementResponse,
  ApiError,
  BookHeatmapResponse,
  CandlesResponse,
  CvdResponse,
  DashboardTimeframe,
  EventsResponse,
  LiquidationsResponse,
  MarketStateResponse,
  MarketsResponse,
  PaperResponse,
  PredictedLiquidationsResponse,
  PrintsResponse,
  RunsResponse,
  SessionsResponse,
  SizesResponse,
  TapeResponse,
} from '../api.ts';
import { SPAN_HEADER } from '../api.ts';

export class ApiRequestError extends Error {
  constructor(
    readonly path: string,
    readonly status: number,
    message: string,
    readonly field?: string,
  ) {
    super(`${path}: ${message}${field ? ` (${field})` : ''}${status ? ` [HTTP ${status}]` : ''}`);
    this.name = 'ApiRequestError';
  }
}

/** A range query: the symbol, venues and, when given, the time range and bar. */
export interface RangeQuery {
  readonly symbol: string;
  readonly venues: readonly string[];
  readonly tf?: DashboardTimeframe;
  readonly from?: number;
  readonly to?: number;
  /** With no `from`: how many bars up to the newest trade (the server's default otherwise). */
  readonly bars?: number;
}

type Params = Record<string, string | number | undefined>;

function query(params: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') q.set(k, String(v));
  const s = q.toString().replace(/%2C/g, ',');
  return s ? `?${s}` : '';
}

function rangeParams(r: RangeQuery): Params {
  return { symbol: r.symbol, venues: r.venues.length ? r.venues.join(',') : undefined, tf: r.tf, from: r.from, to: r.to, bars: r.bars };
}

export class ApiClient {
  private inFlight = 0;
  private readonly queued: (() => void)[] = [];
  private readonly maxInFlight: number;
  private readonly priority?: RequestPriority;

  /**
   * `base` is the page's origin by default; tests may point it elsewhere. At most `maxInFlight`
   * requests of `get` run at once; the others wait their turn (in order). `priority`: the
   * browser's fetch priority of every request (queued requests, six connections to a host, go
   * out highest first).
   */
  constructor(
    private readonly base = '',
    opts: { maxInFlight?: number; priority?: RequestPriority } = {},
  ) {
    this.maxInFlight = opts.maxInFlight ?? Number.POSITIVE_INFINITY;
    this.priority = opts.priority;
  }

  async get<T>(path: string, params: Params = {}, signal?: AbortSignal): Promise<T> {
    if (this.inFlight >= this.maxInFlight) await new Promise<void>((go) => this.queued.push(go));
    this.inFlight++;
    try {
      return await this.body<T>(path, await this.start(path, params, signal));
    } finally {
      this.inFlight--;
      this.queued.shift()?.();
    }
  }

  /** The request sent and its answer's headers in; the body not read yet. */
  private async start(path: string, params: Params, signal?: AbortSignal): Promise<Response> {
    const url = `${this.base}${path}${query(params)}`;
    try {
      // The token travels only as the cookie the server set: same-origin credentials.
      return await fetch(url, { credentials: 'same-origin', signal, ...(this.priority ? { priority: this.priority } : {}) });
    } catch (err) {
      if ((err as Error).name === 'AbortError') throw err;
      throw new ApiRequestError(path, 0, `server unreachable: ${(err as Error).message}`);
    }
  }

  /** An answer's body as JSON, or the server's refusal as an ApiRequestError. */
  private async body<T>(path: string, res: Response): Promise<T> {
    const text = await res.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      throw new ApiRequestError(path, res.status, `answer is not JSON: ${text.slice(0, 80)}`);
    }
    if (!res.ok) {
      const e = body as Partial<ApiError> | undefined;
      throw new ApiRequestError(path, res.status, e?.error ?? res.statusText, e?.field);
    }
    return body as T;
  }

  markets(signal?: AbortSignal): Promise<MarketsResponse> {
    return this.get('/api/markets', {}, signal);
  }
  candles(r: RangeQuery, opts: { footprint?: boolean; levelTicks?: number } = {}, signal?: AbortSignal): Promise<CandlesResponse> {
    return this.get('/api/candles', { ...rangeParams(r), footprint: opts.footprint ? 1 : undefined, levelTicks: opts.levelTicks }, signal);
  }
  /**
   * Candles (no footprint), in two steps: `span` as soon as the answer's headers arrive (the
   * bars' [first open, last close) from SPAN_HEADER; null when there are none or the request
   * failed), then `candles`, the body. The page asks its other panes for `span` meanwhile.
   */
  async candlesSpan(r: RangeQuery, signal?: AbortSignal): Promise<{ span: [number, number] | null; candles: Promise<CandlesResponse> }> {
    const res = await this.start('/api/candles', rangeParams(r), signal);
    const text = res.ok ? res.headers.get(SPAN_HEADER) : null;
    const span = text ? (text.split(',').map(Number) as [number, number]) : null;
    return { span: span && span.length === 2 && span.every(Number.isFinite) ? span : null, candles: this.body('/api/candles', res) };
  }
  cvd(r: RangeQuery, signal?: AbortSignal): Promise<CvdResponse> {
    return this.get('/api/cvd', rangeParams(r), signal);
  }
  sizes(r: RangeQuery, signal?: AbortSignal): Promise<SizesResponse> {
    return this.get('/api/sizes', rangeParams(r), signal);
  }
  prints(r: RangeQuery, minNotional?: number, signal?: AbortSignal): Promise<PrintsResponse> {
    return this.get('/api/prints', { ...rangeParams({ ...r, tf: undefined }), minNotional }, signal);
  }
  liquidations(r: RangeQuery, signal?: AbortSignal): Promise<LiquidationsResponse> {
    return this.get('/api/liquidations', rangeParams(r), signal);
  }
  predicted(r: RangeQuery, signal?: AbortSignal): Promise<PredictedLiquidationsResponse> {
    return this.get('/api/predicted-liquidations', rangeParams({ ...r, tf: undefined }), signal);
  }
  bookHeatmap(r: RangeQuery & { venue: string }, signal?: AbortSignal): Promise<BookHeatmapResponse> {
    return this.get('/api/book-heatmap', { symbol: r.symbol, venue: r.venue, tf: r.tf, from: r.from, to: r.to }, signal);
  }
  marketState(r: RangeQuery, signal?: AbortSignal): Promise<MarketStateResponse> {
    return this.get('/api/market-state', rangeParams(r), signal);
  }
  events(r: RangeQuery, signal?: AbortSignal): Promise<EventsResponse> {
    return this.get('/api/events', rangeParams({ ...r, tf: undefined }), signal);
  }
  agreement(r: RangeQuery, signal?: AbortSignal): Promise<AgreementResponse> {
    return this.get('/api/agreement', rangeParams(r), signal);
  }
  sessions(from: number, to: number, signal?: AbortSignal): Promise<SessionsResponse> {
    return this.get('/api/sessions', { from, to }, signal);
  }
  tape(r: { symbol: string; venues: readonly string[] }, limit = 200, signal?: AbortSignal): Promise<TapeResponse> {
    return this.get('/api/tape', { symbol: r.symbol, venues: r.venues.length ? r.venues.join(',') : undefined, limit }, signal);
  }
  paper(signal?: AbortSignal): Promise<PaperResponse> {
    return this.get('/api/paper', {}, signal);
  }
  runs(signal?: AbortSignal): Promise<RunsResponse> {
    return this.get('/api/runs', {}, signal);
  }
}
