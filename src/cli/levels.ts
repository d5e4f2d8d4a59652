/**
 * `orderflow levels`: predicted liquidation levels of a market from its stored open interest and
 * trades, with their distance from the last price, or with `--heatmap` the predicted heatmap
 * (docs/FEATURES.md, "Predicted liquidation levels", "Two heatmaps: realized and predicted").
 */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { heatmapCells } from '../features/liquidations.ts';
import { heatmapTimes, predictedHeatmap, withDistance, type LevelWithDistance } from '../features/predicted-heatmap.ts';
import { predictedLiquidationSnapshots, type PredictedLiquidationOptions } from '../features/predicted-liquidations.ts';
import { HOUR_MS, parseTimeframe } from '../features/timeframe.ts';
import { readOpenInterest } from '../store/ticker-reader.ts';
import { readTrades } from '../store/trade-reader.ts';
import { Store } from '../store/store.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';
import { confirmMarketQuery } from '../query/market.ts';
import { existingHome, homeOption, marketOptions, type HomeOpts } from './common.ts';
import { isoTime, notionalText } from './format.ts';
import { marketQuery, numberOpt, parseTime } from './options.ts';
import { fitTable, formatters, precisionOf, timeframeText, wrap } from './table.ts';

interface LevelsOpts extends HomeOpts {
  symbol: string;
  venues?: string;
  from?: string;
  to?: string;
  at?: string;
  bps: string;
  longShare: string;
  top: string;
  heatmap?: boolean;
  timeframe?: string;
  wide?: boolean;
  json?: boolean;
}

export function registerLevels(program: Command): void {
  homeOption(
    marketOptions(program
      .command('levels')
      .description('predicted liquidation levels (where positions opened as open interest grew would be liquidated, and how far from the last price), or their heatmap'))
      .option('--at <time>', 'snapshot time (default: the last open-interest or trade time)')
      .option('--bps <width>', 'price bin width in basis points (log-price bins)', '10')
      .option('--long-share <share>', "share of new open interest counted as longs: 'aggressor' (buy share of the interval) or 0..1", 'aggressor')
      .option('--top <n>', 'levels per side in the table (with --heatmap: the n largest cells)', '10')
      .option('--heatmap', 'the PREDICTED heatmap (what Coinglass calls a liquidation heatmap): time x price of predicted notional; `liquidations --heatmap` is the realized one')
      .option('--timeframe <tf>', 'heatmap: bucket length; each row is the prediction at the bucket\'s end (default 1h)')
      .option('--wide', 'print every table column (default: fit 120 columns)')
      .option('--json', 'print the snapshot {"ts","last_price","longs":[{price,distance,distance_bps,...}],"shorts","long_notional","short_notional"} or the heatmap {"timeframe_ms","bucket_starts","snapshot_ts","bin_prices","long":[[...]],"short":[[...]]}'),
  )
    .addHelpText(
      'after',
      `
A model, not data: open-interest increases are taken as new positions at the interval's VWAP,
spread over a 5/10/20/50/100x leverage mix, with each venue's maintenance tiers. Needs stored
open interest (tickers with open_interest: Binance metrics archives, Bybit tickers, OKX
open-interest). distance = level price - last price (negative below it), also in bps.
Assumptions and limits: docs/FEATURES.md.

Two heatmaps, not to be confused: \`levels --heatmap\` is PREDICTED (where liquidations would
happen, from open interest: Coinglass's "liquidation heatmap"); \`liquidations --heatmap\` is
REALIZED (liquidations that happened, from the venues' feeds).

Examples:
  $ orderflow levels --symbol BTC
  $ orderflow levels --symbol ETHUSDT --venues binance --at 2024-08-08T12:00:00Z --json
  $ orderflow levels --symbol BTC --heatmap --timeframe 4h --from 2024-08-01 --to 2024-08-08`,
    )
    .action(async (opts: LevelsOpts) => {
      const q = marketQuery(opts);
      const bps = numberOpt(opts.bps, '--bps');
      const top = numberOpt(opts.top, '--top');
      const longShare = opts.longShare === 'aggressor' ? 'aggressor' : numberOpt(opts.longShare, '--long-share', "'aggressor' or a share in [0, 1]");
      if (typeof longShare === 'number' && !(longShare >= 0 && longShare <= 1)) throw new UsageError(`--long-share: expected 'aggressor' or a share in [0, 1], got ${opts.longShare}`);
      const atOpt = opts.at === undefined ? undefined : parseTime(opts.at, '--at');
      const store = await Store.open(existingHome(opts), { readOnly: true });
      let oi;
      let trades;
      try {
        await confirmMarketQuery(store, q);
        const bounded = { ...q, toMs: atOpt === undefined ? q.toMs : Math.min(q.toMs ?? Infinity, atOpt + 0.001) };
        oi = await readOpenInterest(store, bounded);
        trades = await readTrades(store, bounded);
      } finally {
        store.close();
      }
      const what = q.pairs.map(([v, s]) => `${v} ${s}`).join(', ');
      if (oi.length === 0) {
        console.log(`no open interest stored for ${what}: import tickers (Bybit tickers, OKX open-interest, Binance metrics archives) first`);
        return;
      }
      const last = Math.max(oi.ts[oi.length - 1], trades.length > 0 ? trades.ts[trades.length - 1] : -Infinity);
      const at = atOpt ?? last;
      const opts2: PredictedLiquidationOptions = { bins: { bps }, longShare, instruments: loadBundledInstruments() };
      const { price: priceText, size: sizeText } = formatters(precisionOf(q.registry, q.pairs));
      if (opts.heatmap) {
        const tf = opts.timeframe === undefined ? HOUR_MS : parseTimeframe(opts.timeframe);
        const first = Math.min(oi.ts[0], trades.length > 0 ? trades.ts[0] : Infinity);
        let grid;
        try {
          const { starts, times } = heatmapTimes(first, at, tf);
          grid = predictedHeatmap(predictedLiquidationSnapshots(oi, trades, times, opts2), starts, tf, { bps });
        } catch (e) {
          if (e instanceof RangeError) throw new UsageError(`--heatmap: ${e.message.replace(/^predicted heatmap: /, '')} (--from/--to, --bps, --timeframe)`);
          throw e;
        }
        if (opts.json) {
          const rowsOf = (m: Float64Array) => Array.from({ length: grid.rows }, (_, r) => Array.from(m.subarray(r * grid.cols, (r + 1) * grid.cols)));
          console.log(JSON.stringify({ kind: 'predicted', timeframe_ms: tf, bins: { bps }, bucket_starts: Array.from(grid.bucket_starts), snapshot_ts: Array.from(grid.snapshot_ts), bin_indexes: Array.from(grid.bin_indexes), bin_prices: Array.from(grid.bin_prices), long: rowsOf(grid.long), short: rowsOf(grid.short) }));
          return;
        }
        const cells = heatmapCells(grid);
        const shown = cells.slice(0, top);
        console.log(wrap(`PREDICTED liquidation heatmap of ${what}: ${grid.rows} buckets of ${timeframeText(tf)} x ${grid.cols} price bins (${bps} bps)`));
        console.log(`a model from open interest, not liquidations that happened (those: orderflow liquidations --heatmap)`);
        console.log(`${cells.length} non-empty cells; the ${shown.length} largest:\n`);
        console.log(fitTable(['bucket (UTC)', 'would liquidate', 'price', 'notional'], shown.map(([r, k, side, v]) => [isoTime(grid.bucket_starts[r]), `${side}s`, priceText(grid.bin_prices[k]), notionalText(v)]), { drop: [], wide: opts.wide }));
        return;
      }
      const [snap] = predictedLiquidationSnapshots(oi, trades, [at], opts2);
      // The price the distances are measured from: the last trade at or before the snapshot, else the last mark.
      const lastPrice = trades.length > 0 ? trades.price[trades.length - 1] : oi.markPrice[oi.length - 1];
      const longs = withDistance(snap.longs, lastPrice);
      const shorts = withDistance(snap.shorts, lastPrice);
      if (opts.json) {
        console.log(JSON.stringify({ ...snap, last_price: lastPrice, longs, shorts }));
        return;
      }
      console.log(wrap(`predicted liquidation levels of ${what} at ${isoTime(at)}`));
      console.log(`last price ${priceText(lastPrice)} (${oi.length} open-interest points, ${trades.length} trades)\n`);
      const rows = (side: string, levels: readonly LevelWithDistance[]) =>
        [...levels].sort((a, b) => b.notional - a.notional).slice(0, top).map((l) => [side, priceText(l.price), priceText(l.distance), l.distance_bps.toFixed(1), sizeText(l.qty), notionalText(l.notional), String(l.count), l.venues.join(',')]);
      console.log(fitTable(['liquidates', 'price', 'distance', 'dist bps', 'qty', 'notional', 'slices', 'venues'], [...rows('longs', longs), ...rows('shorts', shorts)], { drop: ['slices', 'venues', 'qty'], wide: opts.wide }));
      console.log(`\ntotal: longs ${notionalText(snap.long_notional)}, shorts ${notionalText(snap.short_notional)} (quote)`);
    });
}
