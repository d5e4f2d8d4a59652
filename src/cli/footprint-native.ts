/**
 * `orderflow footprint` in native mode: footprint candles of stored trades (docs/FEATURES.md
 * "Footprint"). The command itself (options, help) is registered in src/cli/footprint.ts.
 */
import { UsageError } from '../core/errors.ts';
import type { Venue } from '../core/events.ts';
import { FootprintOperator, LEVEL_FIELDS, decimalsOf, footprintJson, type FootprintCandle } from '../features/footprint.ts';
import { parseTimeframe } from '../features/timeframe.ts';
import { streamTrades } from '../store/trade-reader.ts';
import { Store } from '../store/store.ts';
import { loadBundledInstruments } from '../venues/instruments.ts';
import { existingHome } from './common.ts';
import { dataSpan, markComplete, TradeSpan } from '../features/complete.ts';
import { confirmMarketQuery, marketQuery } from './market.ts';
import { barTime, fitTable, formatters, INCOMPLETE_MARK, INCOMPLETE_NOTE, precisionOf, timeframeText } from './table.ts';

export interface NativeFootprintOpts {
  home?: string;
  symbol: string;
  /** Comma-separated venues, merged; default the perpetual venues. */
  venues?: string;
  timeframe: string;
  /** Level height in ticks (whole number >= 1). */
  levelTicks: number;
  /** Tick size; default from the instrument registry. */
  tick?: number;
  from?: string;
  to?: string;
  json?: boolean;
  /** Every table column (default: fit 120 columns). */
  wide?: boolean;
  imbalanceRatio: number;
  imbalanceVolume: number;
  stackedRange: number;
  valueArea: number;
}

/** Check the numeric options; UsageError naming the option otherwise. */
function checkOpts(o: NativeFootprintOpts): void {
  const bad = (option: string, want: string, got: unknown) => new UsageError(`${option}: expected ${want}, got ${JSON.stringify(got)}`);
  if (!(Number.isInteger(o.levelTicks) && o.levelTicks >= 1)) throw bad('--level-ticks', 'a whole number >= 1', o.levelTicks);
  if (o.tick !== undefined && !(o.tick > 0 && Number.isFinite(o.tick))) throw bad('--tick', 'a price step > 0', o.tick);
  if (!(o.imbalanceRatio > 0 && Number.isFinite(o.imbalanceRatio))) throw bad('--imbalance-ratio', 'a number > 0', o.imbalanceRatio);
  if (!(o.imbalanceVolume >= 0 && Number.isFinite(o.imbalanceVolume))) throw bad('--imbalance-volume', 'a volume >= 0', o.imbalanceVolume);
  if (!(Number.isInteger(o.stackedRange) && o.stackedRange >= 1)) throw bad('--stacked-range', 'a whole number >= 1', o.stackedRange);
  if (!(o.valueArea > 0 && o.valueArea <= 1)) throw bad('--value-area', 'a share in (0, 1], e.g. 0.7', o.valueArea);
}

/**
 * Footprint candles of the stored trades of `symbol` on `venues`, merged, printed as a table
 * (one line per candle) or, with `json`, `{"level_fields":[...],"candles":[...]}`.
 * The tick size is the coarsest of the stored markets' ticks in the instrument registry, unless
 * `tick` is given; an unknown instrument without `tick` is a UsageError.
 */
export async function runNativeFootprint(opts: NativeFootprintOpts): Promise<void> {
  checkOpts(opts);
  const timeframeMs = parseTimeframe(opts.timeframe);
  const q = marketQuery(opts);
  const candles: FootprintCandle[] = [];
  const span = new TradeSpan();
  const store = await Store.open(existingHome(opts), { readOnly: true });
  let stored: [Venue, string][];
  let tick: number | undefined = opts.tick;
  try {
    await confirmMarketQuery(store, q);
    stored = await storedMarkets(store, q.pairs);
    if (tick === undefined && stored.length > 0) tick = registryTick(stored);
    if (tick !== undefined) {
      const op = new FootprintOperator(
        {
          timeframeMs,
          tick,
          levelTicks: opts.levelTicks,
          imbalanceRatio: opts.imbalanceRatio,
          imbalanceVolume: opts.imbalanceVolume,
          stackedRange: opts.stackedRange,
          valueArea: opts.valueArea,
        },
        (c) => candles.push(c),
      );
      for await (const chunk of streamTrades(store, { ...q, venues: q.venues.filter((v) => stored.some((s) => s[0] === v)) })) {
        span.push(chunk);
        op.push(chunk);
      }
      op.flush();
    }
  } finally {
    store.close();
  }
  const marked = markComplete(candles, (c) => [c.open_time_ms, c.open_time_ms + timeframeMs], dataSpan(q, span));
  if (opts.json) {
    console.log(JSON.stringify({ level_fields: LEVEL_FIELDS, candles: marked.map((c) => ({ ...footprintJson(c), complete: c.complete })) }));
    return;
  }
  const what = q.pairs.map(([v, s]) => `${v} ${s}`).join(', ');
  if (candles.length === 0) {
    console.log(`no trades stored for ${what}${q.fromMs !== undefined || q.toMs !== undefined ? ' in that time range' : ''}`);
    return;
  }
  const dec = decimalsOf(candles[0].tick);
  const px = (x: number) => x.toFixed(dec);
  const { size } = formatters(precisionOf(q.registry, stored));
  console.log(`footprint of ${stored.map(([v, s]) => `${v} ${s}`).join(', ')}: ${candles.length} candles of ${timeframeText(timeframeMs)}, level ${candles[0].level_size} (${opts.levelTicks} x tick ${candles[0].tick})\n`);
  console.log(
    fitTable(
      ['open (UTC)', 'open', 'high', 'low', 'close', 'volume', 'delta', 'min delta', 'max delta', 'trades', 'POC', 'VAL', 'VAH', 'stacked bid', 'stacked ask'],
      marked.map((c) => [
        barTime(c.open_time_ms, timeframeMs) + (c.complete ? '' : INCOMPLETE_MARK), px(c.open), px(c.high), px(c.low), px(c.close), size(c.volume), size(c.delta), size(c.min_delta), size(c.max_delta),
        String(c.trades), px(c.poc), px(c.val), px(c.vah), String(c.stacked_bid.length), String(c.stacked_ask.length),
      ]),
      { drop: ['min delta', 'max delta', 'trades', 'stacked bid', 'stacked ask', 'open', 'close'], wide: opts.wide },
    ),
  );
  if (marked.some((c) => !c.complete)) console.log(INCOMPLETE_NOTE);
}

/** The (venue, symbol) pairs that have stored trades. */
export async function storedMarkets(store: Store, pairs: readonly [Venue, string][]): Promise<[Venue, string][]> {
  const out: [Venue, string][] = [];
  for (const [venue, symbol] of pairs) {
    const rows = await store.rows<{ n: bigint }>('SELECT count(*) AS n FROM (SELECT 1 FROM trades WHERE venue::VARCHAR = $1 AND symbol = $2 LIMIT 1)', [venue, symbol]);
    if (Number(rows[0].n) > 0) out.push([venue, symbol]);
  }
  return out;
}

/**
 * The coarsest tick of the markets, so every venue's prices land on whole levels; a UsageError
 * suggesting --tick (and `alternative`, when the command has one) for an unknown instrument.
 */
export function registryTick(markets: readonly [Venue, string][], alternative = ''): number {
  const registry = loadBundledInstruments();
  let tick = 0;
  for (const [venue, symbol] of markets) {
    const inst = registry.get(venue, symbol);
    if (!inst) throw new UsageError(`no instrument metadata for ${venue} ${symbol} (needed for its tick size): pass --tick <price step>, e.g. --tick 0.01${alternative}`);
    tick = Math.max(tick, inst.tickSize);
  }
  return tick;
}
