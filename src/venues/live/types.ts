/**
 * What every live connector (src/venues/<venue>/live.ts) shares: the status of each stream, the
 * gaps it reports, the handlers it calls and the options it takes. Public market data only: no
 * connector ever needs or accepts an API key.
 */
import type { CaptureRecord, Venue } from '../../core/events.ts';
import type { InstrumentRegistry } from '../../core/instruments.ts';

/**
 * connecting: opening the socket / waiting for subscription acks; connected: data flowing;
 * lagging: frames arrive late (exchange time far behind the local clock) or the consumer is
 * behind; resyncing: the book is being rebuilt from a snapshot; down: disconnected, waiting to
 * reconnect (or stopped).
 */
export type StreamState = 'connecting' | 'connected' | 'lagging' | 'resyncing' | 'down';

export interface StreamStatus {
  readonly venue: Venue;
  /** The venue's stream / channel name, e.g. `btcusdt@aggTrade`, `books:BTC-USDT-SWAP`. */
  readonly stream: string;
  readonly state: StreamState;
  readonly messages: number;
  readonly events: number;
  readonly reconnects: number;
  readonly resyncs: number;
  readonly gaps: number;
  readonly parseErrors: number;
  /** Local time of the last frame, epoch ms; NaN before any. */
  readonly lastMessageAt: number;
  /** Local receive time minus exchange time of the last frame with one, ms; NaN when unknown. */
  readonly lagMs: number;
  readonly lastError: string | null;
}

/** `restart`: trades between the last one a previous session stored and the first this one saw. */
export type GapKind = 'disconnect' | 'book_resync' | 'trade_id_gap' | 'sequence_gap' | 'checksum' | 'restart';

/**
 * Where a symbol's trade stream stopped in a previous session (from the store): the connector
 * back-fills from there at start, as after a disconnect, and reports what it cannot as a
 * `restart` gap. `lastId` is the venue's numeric trade id (Binance aggregate id, OKX tradeId);
 * undefined where ids are not ordered numbers (Bybit UUIDs: time only).
 */
export interface TradeResume {
  readonly lastId: number | undefined;
  /** Exchange time of that trade, epoch ms. */
  readonly lastTs: number;
  /** The ids stored at exactly `lastTs`: a venue resuming by time skips them (several trades share a ms). */
  readonly idsAtLastTs?: readonly string[];
}

/** Data the connector knows it missed (written to the store's `gaps` table by the recorder). */
export interface LiveGap {
  readonly venue: Venue;
  readonly symbol: string;
  readonly kind: GapKind;
  /** Exchange (or local, when unknown) time span of what is missing, epoch ms. */
  readonly fromTs: number;
  readonly toTs: number;
  /** True when the connector filled it (e.g. Binance aggTrades back-filled from REST). */
  readonly backfilled: boolean;
  readonly detail: string;
}

export interface LiveHandlers {
  /** Normalized events of one frame (book events are whole snapshots or diffs already in sequence). */
  onEvents(records: readonly CaptureRecord[], localTs: number): void;
  /** Every raw text frame with its local receive time in ns (for `record --raw`). */
  onRawFrame?(text: string, localNs: bigint): void;
  /**
   * A REST answer the live state was built from (a Binance depth snapshot, back-filled Binance
   * aggTrades, OKX history-trades or Bybit recent-trade), as a frame a raw capture can keep so a re-import rebuilds
   * what live did: `text` is one JSON line the venue's capture parser reads. Back-fill frames
   * carry a `backfill` key naming the endpoint and only the trades delivered from it; written
   * after the live frames held meanwhile, they are out of time order in a capture, so a re-import
   * recognizes and keeps them out (the store has them). Called just before its events are delivered.
   */
  onRestFrame?(text: string, localNs: bigint): void;
  onGap?(gap: LiveGap): void;
  onStatus?(status: StreamStatus): void;
}

export type LiveChannel = 'trades' | 'liquidations' | 'book' | 'ticker';
export const LIVE_CHANNELS: readonly LiveChannel[] = ['trades', 'liquidations', 'book', 'ticker'];

export interface BackoffOptions {
  /** First reconnect delay, ms. Default 500. */
  readonly initialMs?: number;
  /** Cap, ms. Default 30 000. */
  readonly maxMs?: number;
  /** Full jitter share in [0, 1]: the delay is uniform in [(1 - jitter) x d, d]. Default 0.5. */
  readonly jitter?: number;
}

export interface LiveClientOptions {
  /** Venue-native symbols (`BTCUSDT`, `BTC-USDT-SWAP`). */
  readonly symbols: readonly string[];
  /** Default all. */
  readonly channels?: readonly LiveChannel[];
  /** Base URLs (scheme, host, port); default from urls.ts (config > environment > venue default). */
  readonly wsUrl?: string;
  readonly restUrl?: string;
  readonly instruments: InstrumentRegistry;
  readonly handlers: LiveHandlers;
  readonly backoff?: BackoffOptions;
  /** No frame for this long = a silent stall: reconnect. Default 30 000 ms. */
  readonly staleAfterMs?: number;
  /** Frames later than this (local - exchange time) mark the stream lagging. Default 2 000 ms. */
  readonly lagWarnMs?: number;
  /** One REST call's timeout, ms. Default 10 000. */
  readonly restTimeoutMs?: number;
  /**
   * Time allowed to back-fill one hole in a trade stream, ms (the BackfillPlanner deadline).
   * Default DEFAULT_BACKFILL_TIME_MS (live/backfill.ts).
   */
  readonly backfillTimeMs?: number;
  /**
   * REST requests allowed to back-fill one hole. Default: what the venue's back-fill share of its
   * REST rate limit allows in `backfillTimeMs` (live/backfill.ts `sizeBackfill`; Binance 60 a
   * minute, OKX 300 a minute, Bybit 1: all its recent-trade serves).
   */
  readonly backfillMaxRequests?: number;
  /** Per venue-native symbol: where a previous session's trades stopped (record seeds it from the store). */
  readonly resume?: ReadonlyMap<string, TradeResume>;
  /** Local clock (tests); default Date.now. */
  readonly now?: () => number;
  /** Uniform [0, 1) for the reconnect and resync jitter (tests); default Math.random. */
  readonly random?: () => number;
}

export interface LiveClient {
  readonly venue: Venue;
  /** Connects and subscribes; resolves once the first connection is open (it keeps reconnecting after). */
  start(): Promise<void>;
  /** Closes everything; no reconnect after. */
  stop(): Promise<void>;
  status(): StreamStatus[];
}
