/**
 * The dashboard's wire contract: what `orderflow serve` answers over HTTP (`/api/*`) and pushes
 * over its websocket (`/ws`), shared by the server (src/server) and the browser bundle
 * (src/server/web). Types and a few constants: nothing here does work, so both sides import it freely.
 *
 * Series are columnar (one array per field, same length) because the browser turns them into
 * typed arrays and chart data without walking an object per bar, and because JSON of parallel
 * number arrays is a third the size of an array of objects. Times are epoch milliseconds (UTC);
 * the browser converts to lightweight-charts' seconds. Prices are numbers in quote units, sizes
 * in base units (as the normalized events, DESIGN.md), notionals in quote units.
 *
 * Every range query takes `symbol` (as the CLI's --symbol: `BTCUSDT`, `BTC`, a venue's own
 * name), `venues` (comma list, default every venue with stored trades for it), `from`/`to` (epoch
 * ms or ISO, default the last `DEFAULT_SPAN_BARS` bars of `tf` before the latest stored trade)
 * and, where bars are involved, `tf` (`1m`, `5m`, `15m`, `1h`, `4h`, `1d`).
 */
import type { Venue } from '../core/events.ts';

/** Bars a range query returns when it names no `from`. */
export const DEFAULT_SPAN_BARS = 1_000;
/** The most bars one request may ask for (a larger range is refused with 400, naming the limit). */
export const MAX_BARS = 100_000;
/** Timeframes the dashboard offers. */
export const DASHBOARD_TIMEFRAMES = ['1m', '5m', '15m', '1h', '4h', '1d'] as const;
export type DashboardTimeframe = (typeof DASHBOARD_TIMEFRAMES)[number];

/** Any non-2xx answer. `field` names the query parameter at fault, when one is. */
export interface ApiError {
  readonly error: string;
  readonly field?: string;
}

/** `GET /api/markets`: what the store holds, one row per symbol as the pickers list it. */
export interface MarketsResponse {
  readonly markets: readonly MarketInfo[];
}
export interface MarketInfo {
  /** The name the pickers show and `symbol=` accepts (the Binance-style base+quote, e.g. BTCUSDT). */
  readonly symbol: string;
  /** Each venue's own name for it, for venues with stored trades. */
  readonly venues: readonly { readonly venue: Venue; readonly symbol: string; readonly firstMs: number; readonly lastMs: number; readonly trades: number }[];
  /** Tick of the finest venue: the footprint's default level height. */
  readonly tick: number;
}

/**
 * The candles answer's header giving the span its bars cover, `<first bar open>,<last bar open +
 * tfMs>` (epoch ms; absent when there are no bars): what the page asks its other panes for. It
 * comes before the body, so those requests can go out while the candles are still being read.
 */
export const SPAN_HEADER = 'x-candles-span';

/** The page's performance mark (`performance.mark`) each time a view's candles are handed to the chart: `npm run bench -- dashboard` reads it. */
export const CANDLES_MARK = 'orderflow:candles';
/** Performance mark: every pane holds its whole span (a first load draws the screen first: web/panes/progressive-load.ts). */
export const PANES_FULL_MARK = 'orderflow:panes-full';

/** `GET /api/candles?symbol&venues&tf&from&to[&footprint=1][&levelTicks=N]`: venues merged. */
export interface CandlesResponse {
  readonly symbol: string;
  readonly venues: readonly Venue[];
  readonly tf: DashboardTimeframe;
  readonly tfMs: number;
  /** Bar opens, ascending. */
  readonly t: readonly number[];
  readonly o: readonly number[];
  readonly h: readonly number[];
  readonly l: readonly number[];
  readonly c: readonly number[];
  /** Aggressive buy / sell volume, base units. */
  readonly buy: readonly number[];
  readonly sell: readonly number[];
  readonly trades: readonly number[];
  /** Present with `footprint=1`. */
  readonly footprint?: FootprintColumns;
}

/**
 * Footprint levels of every bar, flattened: bar i owns levels [offset[i], offset[i+1]). A level
 * is `levelSize` of price starting at `price`. `poc`, `vah`, `val` are per bar.
 */
export interface FootprintColumns {
  readonly levelSize: number;
  readonly offset: readonly number[];
  readonly price: readonly number[];
  /** Aggressive sells at the level ("bid" column) and aggressive buys ("ask" column). */
  readonly bid: readonly number[];
  readonly ask: readonly number[];
  /** 1 where the level is imbalanced on that side (see src/features/footprint.ts). */
  readonly bidImb: readonly (0 | 1)[];
  readonly askImb: readonly (0 | 1)[];
  readonly poc: readonly number[];
  readonly vah: readonly number[];
  readonly val: readonly number[];
  /** Stacked imbalance runs: bar index, side, lowest and highest price of the run. */
  readonly stacked: readonly { readonly bar: number; readonly side: 'bid' | 'ask'; readonly low: number; readonly high: number }[];
}

/** `GET /api/cvd?symbol&venues&tf&from&to`: `tf` here is the CVD bar (15m, 1h, 1d per the method). */
export interface CvdResponse {
  readonly tfMs: number;
  readonly t: readonly number[];
  /** Aggregated over the venues asked for. */
  readonly all: { readonly delta: readonly number[]; readonly cvd: readonly number[] };
  /** Per venue, aligned on `t` (a bar a venue did not trade in has delta 0 and carries cvd). */
  readonly venues: Partial<Record<Venue, { readonly delta: readonly number[]; readonly cvd: readonly number[] }>>;
}

/** `GET /api/sizes?symbol&venues&tf&from&to`: delta per size bucket (src/features/sizes.ts), quote notional. */
export interface SizesResponse {
  readonly tfMs: number;
  readonly t: readonly number[];
  /** Notional thresholds of medium, large, whale, quote units. */
  readonly thresholds: readonly [number, number, number];
  readonly delta: { readonly small: readonly number[]; readonly medium: readonly number[]; readonly large: readonly number[]; readonly whale: readonly number[] };
}

/** `GET /api/prints?symbol&venues&from&to[&minNotional=N]`: big prints (merged aggressor prints). */
export interface PrintsResponse {
  readonly minNotional: number;
  readonly t: readonly number[];
  readonly price: readonly number[];
  readonly qty: readonly number[];
  readonly notional: readonly number[];
  /** 1 buyer aggressor, -1 seller aggressor. */
  readonly side: readonly (1 | -1)[];
  readonly venue: readonly Venue[];
}

/**
 * `GET /api/liquidations?symbol&venues&tf&from&to`: realized liquidations, the clusters the
 * liquidation map finds at `to`, and the realized heatmap (liquidated notional per time bucket
 * of `tf` and price bin).
 */
export interface LiquidationsResponse {
  readonly events: { readonly t: readonly number[]; readonly price: readonly number[]; readonly qty: readonly number[]; readonly side: readonly ('long' | 'short')[]; readonly venue: readonly Venue[] };
  readonly clusters: readonly { readonly side: 'long' | 'short'; readonly low: number; readonly high: number; readonly peak: number; readonly notional: number; readonly count: number; readonly firstMs: number; readonly lastMs: number; readonly revisited: boolean; readonly venues: readonly Venue[] }[];
  readonly heatmap: HeatmapColumns;
}

/**
 * A time x price grid, sparse: cell k is at column `tIndex[k]` (time `t0 + tIndex*tfMs`) and row
 * `pIndex[k]` (price `p0 + pIndex*binSize`), with `value[k]` (quote notional: liquidated, or resting
 * in the book). `max` for the colour scale.
 */
export interface HeatmapColumns {
  readonly t0: number;
  readonly tfMs: number;
  readonly p0: number;
  readonly binSize: number;
  readonly tIndex: readonly number[];
  readonly pIndex: readonly number[];
  readonly value: readonly number[];
  /** For liquidation heatmaps: 1 long liquidated, -1 short liquidated; omitted for the book. */
  readonly side?: readonly (1 | -1)[];
  readonly max: number;
}

/**
 * `GET /api/predicted-liquidations?symbol&venues&from&to`: the model's projected liquidation
 * levels at `to` (src/features/predicted-liquidations.ts). A separate layer, never mixed with
 * realized ones: these are estimates from open interest and an assumed leverage mix.
 */
export interface PredictedLiquidationsResponse {
  readonly atMs: number;
  readonly assumptions: string;
  readonly levels: readonly { readonly side: 'long' | 'short'; readonly price: number; readonly notional: number; readonly leverage: number }[];
}

/**
 * `GET /api/book-heatmap?symbol&venue&from&to&tf`: resting size by price over time from the
 * stored book (one venue: books do not add across venues), and the walls the bait detector saw.
 * A column is `tf` wide, or a multiple of it when the range holds more than 20,000 `tf` columns:
 * `heatmap.tfMs` is the width the columns (and bestBid / bestAsk) have.
 */
export interface BookHeatmapResponse {
  readonly venue: Venue;
  readonly heatmap: HeatmapColumns;
  /** Best bid / ask per column, null where unknown (no book yet). */
  readonly bestBid: readonly (number | null)[];
  readonly bestAsk: readonly (number | null)[];
  readonly walls: readonly { readonly side: 'bid' | 'ask'; readonly price: number; readonly size: number; readonly outcome: 'bait' | 'pulled' | 'consumed' | 'resting'; readonly firstMs: number; readonly endMs: number }[];
}

/**
 * `GET /api/market-state?symbol&venues&tf&from&to`: open interest (base units) and funding per
 * venue, per bar with a ticker row: each bar's last value, carried forward; `null` before a
 * venue's first value of that field (a venue that publishes funding and open interest in
 * separate frames has bars with one but not yet the other).
 */
export interface MarketStateResponse {
  readonly tfMs: number;
  readonly venues: Partial<Record<Venue, { readonly t: readonly number[]; readonly openInterest: readonly (number | null)[]; readonly fundingRate: readonly (number | null)[] }>>;
}

/** `GET /api/events?symbol&venues&from&to`: detector events to draw as markers. */
export interface EventsResponse {
  readonly events: readonly DetectorEvent[];
}
export interface DetectorEvent {
  readonly t: number;
  readonly kind: 'absorption' | 'divergence' | 'bait';
  /** `up` for buyers absorbing / buy-flow divergence / a bid bait; `down` for the mirror. */
  readonly direction: 'up' | 'down';
  readonly price: number;
  /** One line for the tooltip. */
  readonly text: string;
}

/** `GET /api/agreement?symbol&venues&tf&from&to`: the venues' agreement strip (src/features/venues.ts). */
export interface AgreementResponse {
  readonly tfMs: number;
  readonly t: readonly number[];
  /** -1..1: +1 every venue's flow buys, -1 every venue's sells, 0 split or quiet. */
  readonly agreement: readonly number[];
  /** The venue leading price in the window, '' when none. */
  readonly leader: readonly (Venue | '')[];
}

/** `GET /api/sessions?from&to`: the trading sessions to shade (src/features/market-time.ts). */
export interface SessionsResponse {
  readonly spans: readonly { readonly name: string; readonly fromMs: number; readonly toMs: number }[];
}

/** `GET /api/tape?symbol&venues&limit=200`: the latest trades and liquidations, newest last. */
export interface TapeResponse {
  readonly rows: readonly TapeRow[];
}
export interface TapeRow {
  readonly t: number;
  readonly venue: Venue;
  readonly kind: 'trade' | 'liquidation';
  readonly price: number;
  readonly qty: number;
  /** For trades the aggressor (`buy`/`sell`); for liquidations the side liquidated (`long`/`short`). */
  readonly side: 'buy' | 'sell' | 'long' | 'short';
  readonly notional: number;
  /** Trades at or above the large-size threshold. */
  readonly large: boolean;
}

/** `GET /api/paper`: the paper sessions in the journal and the latest state of the newest (or `?session=`). */
export interface PaperResponse {
  readonly sessions: readonly { readonly name: string; readonly startedMs: number; readonly lastMs: number; readonly symbol: string }[];
  readonly current?: PaperState;
}
export interface PaperState {
  readonly session: string;
  readonly position: { readonly side: 'long' | 'short' | 'flat'; readonly qty: number; readonly entry: number; readonly liquidationPrice: number | null; readonly leverage: number };
  readonly equity: number;
  readonly realizedPnl: number;
  readonly unrealizedPnl: number;
  readonly fees: number;
  readonly funding: number;
  /** Equity over time. */
  readonly equityCurve: { readonly t: readonly number[]; readonly equity: readonly number[] };
  /** Predictions resolved so far and how many were right, with a 95% interval on the hit rate. */
  readonly accuracy: { readonly resolved: number; readonly hits: number; readonly rate: number; readonly low: number; readonly high: number; readonly open: number };
}

/** `GET /api/runs`: backtest run folders under the home; `GET /runs/:id/report.html` serves one. */
export interface RunsResponse {
  readonly runs: readonly { readonly id: string; readonly createdMs: number; readonly symbol: string; readonly headline: string; readonly reportUrl: string }[];
}

/**
 * Websocket `/ws?symbol&venues` (and `token` when the server has one). The server sends
 * `LiveMessage`s as JSON text frames; the client sends nothing but may close. A client whose
 * queue passes the server's bound receives `{type:'dropped'}` with the count it missed and is
 * then down-sampled (trades folded into bar updates) or closed with 1013 if it stays behind.
 *
 * `book` is a venue's top levels after a poll, with the walls the bait detector saw end since its
 * last `book` (omitted when none). `event` is a detector event found on the live rows: the same
 * detectors, and the same text, as `GET /api/events`.
 */
export type LiveMessage =
  | { readonly type: 'hello'; readonly symbol: string; readonly venues: readonly Venue[]; readonly serverMs: number; readonly source: string }
  | { readonly type: 'trades'; readonly t: readonly number[]; readonly price: readonly number[]; readonly qty: readonly number[]; readonly side: readonly (1 | -1)[]; readonly venue: readonly Venue[] }
  | { readonly type: 'liquidations'; readonly t: readonly number[]; readonly price: readonly number[]; readonly qty: readonly number[]; readonly side: readonly ('long' | 'short')[]; readonly venue: readonly Venue[] }
  | { readonly type: 'book'; readonly venue: Venue; readonly t: number; readonly bids: readonly [number, number][]; readonly asks: readonly [number, number][]; readonly walls?: BookHeatmapResponse['walls'] }
  | { readonly type: 'marketState'; readonly venue: Venue; readonly t: number; readonly openInterest?: number; readonly fundingRate?: number; readonly markPrice?: number }
  | { readonly type: 'event'; readonly event: DetectorEvent }
  | { readonly type: 'paper'; readonly state: PaperState }
  | { readonly type: 'dropped'; readonly missed: number };
