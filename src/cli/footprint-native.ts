/**
 * `orderflow footprint` in native mode: footprint candles of stored trades (docs/FEATURES.md
 * "Footprint"). The command itself (options, help) is registered in src/cli/footprint.ts.
 */
import { UsageError } from '../core/errors.ts';
import type { Venue } from '../core/events.ts';
import { decimalsOf, type FootprintCandle, footprintJson, FootprintOperator, LEVEL_FIELDS } from '../features/footprint.ts';
import { footprintLadder, footprintStacks } from '../features/footprint-ladder.ts';
import { parseTimeframe } from '../features/timeframe.ts';
import { ladderLines, stackText } from '../report/footprint-ladder.ts';
import { streamTrades } from '../store/trade-reader.ts';
import { Store } from '../store/store.ts';
import { confirmMarketQuery, registryLot, registryTick, storedMarkets } from '../query/market.ts';
import { existingHome } from './common.ts';
import { marketQuery } from './options.ts';
import { dataSpan, markComplete, TradeSpan } from '../features/complete.ts';
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
  /** Minimum notional of an imbalanced side; default the operator's. */
  imbalanceNotional?: number;
  /** What an empty diagonal level counts as; undefined = never an imbalance against it. */
  emptyOpposite?: number;
  imbalanceEdges?: boolean;
  /** Print each candle as a ladder (text or, with json, FootprintLadder objects). */
  ladder?: boolean;
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
  if (o.imbalanceNotional !== undefined && !(o.imbalanceNotional >= 0 && Number.isFinite(o.imbalanceNotional))) throw bad('--imbalance-notional', 'a notional >= 0', o.imbalanceNotional);
  if (o.emptyOpposite !== undefined && !(o.emptyOpposite >= 0 && Number.isFinite(o.emptyOpposite))) throw bad('--empty-opposite', "'skip' or a volume >= 0", o.emptyOpposite);
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
  let lot: number | undefined;
  try {
    await confirmMarketQuery(store, q);
    stored = await storedMarkets(store, q.pairs);
    if (tick === undefined && stored.length > 0) tick = registryTick(stored);
    lot = registryLot(stored);
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
          imbalanceNotional: opts.imbalanceNotional,
          emptyOpposite: opts.emptyOpposite,
          imbalanceEdges: opts.imbalanceEdges,
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
    if (opts.ladder) console.log(JSON.stringify({ candles: marked.map((c) => ({ ...footprintLadder(c, lot), complete: c.complete })) }));
    else console.log(JSON.stringify({ level_fields: LEVEL_FIELDS, candles: marked.map((c) => ({ ...footprintJson(c), complete: c.complete })) }));
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
  if (opts.ladder) {
    console.log(`bid x ask per level (${lot === undefined ? 'sizes as summed' : `sizes to the lot ${lot}`}); * = imbalanced: ask >= ${opts.imbalanceRatio}x the bid one level down, bid >= ${opts.imbalanceRatio}x the ask one level up; | = value area (${opts.valueArea * 100}%)\n`);
    for (const c of marked) console.log(`${ladderLines(footprintLadder(c, lot), opts.timeframe).join('\n')}\n`);
    const cut = marked.filter((c) => !c.complete);
    if (cut.length > 0) console.log(`${INCOMPLETE_MARK} incomplete (the data read does not cover the whole candle): ${cut.map((c) => barTime(c.open_time_ms, timeframeMs)).join(', ')}`);
    return;
  }
  console.log(
    fitTable(
      ['open (UTC)', 'open', 'high', 'low', 'close', 'volume', 'delta', 'min delta', 'max delta', 'trades', 'POC', 'VAL', 'VAH', 'stacked imbalances'],
      marked.map((c) => [
        barTime(c.open_time_ms, timeframeMs) + (c.complete ? '' : INCOMPLETE_MARK), px(c.open), px(c.high), px(c.low), px(c.close), size(c.volume), size(c.delta), size(c.min_delta), size(c.max_delta),
        String(c.trades), px(c.poc), px(c.val), px(c.vah), footprintStacks(c).map((st) => stackText(st, dec)).join('; ') || '-',
      ]),
      { drop: ['min delta', 'max delta', 'trades', 'open', 'close', 'VAL', 'VAH', 'stacked imbalances'], wide: opts.wide },
    ),
  );
  if (marked.some((c) => !c.complete)) console.log(INCOMPLETE_NOTE);
}
