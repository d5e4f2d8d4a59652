/**
 * `orderflow levels`: predicted liquidation levels of a market from its stored open interest and
 * trades (docs/FEATURES.md, "Predicted liquidation levels").
 */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { predictedLiquidationSnapshots, type PredictedLevel } from '../features/predicted-liquidations.ts';
import { readOpenInterest } from '../store/ticker-reader.ts';
import { readTrades } from '../store/trade-reader.ts';
import { Store } from '../store/store.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';
import { confirmMarketQuery } from '../query/market.ts';
import { existingHome, homeOption, type HomeOpts } from './common.ts';
import { isoTime, notionalText, qtyText, table } from './format.ts';
import { marketQuery, numberOpt, parseTime } from './options.ts';

interface LevelsOpts extends HomeOpts {
  symbol: string;
  venues?: string;
  from?: string;
  to?: string;
  at?: string;
  bps: string;
  longShare: string;
  top: string;
  json?: boolean;
}

export function registerLevels(program: Command): void {
  homeOption(
    program
      .command('levels')
      .description('predicted liquidation levels: where positions opened as open interest grew would be liquidated')
      .requiredOption('--symbol <symbol>', 'a venue-native symbol or a base asset (the perpetual on every venue)')
      .option('--venues <list>', 'comma-separated venues, merged (default binance,okx,bybit)')
      .option('--from <time>', 'from this time, inclusive (UTC unless a zone follows)')
      .option('--to <time>', 'up to this time, exclusive')
      .option('--at <time>', 'snapshot time (default: the last open-interest or trade time)')
      .option('--bps <width>', 'price bin width in basis points (log-price bins)', '10')
      .option('--long-share <share>', "share of new open interest counted as longs: 'aggressor' (buy share of the interval) or 0..1", 'aggressor')
      .option('--top <n>', 'levels per side in the table', '10')
      .option('--json', 'print the snapshot {"ts","longs","shorts","long_notional","short_notional"}'),
  )
    .addHelpText(
      'after',
      `
A model, not data: open-interest increases are taken as new positions at the interval's VWAP,
spread over a 5/10/20/50/100x leverage mix, with each venue's maintenance tiers. Needs stored
open interest (tickers with open_interest: Binance metrics archives, Bybit tickers, OKX
open-interest). Assumptions and limits: docs/FEATURES.md.

Examples:
  $ orderflow levels --symbol BTC
  $ orderflow levels --symbol ETHUSDT --venues binance --at 2024-08-08T12:00:00Z --json`,
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
      const [snap] = predictedLiquidationSnapshots(oi, trades, [at], { bins: { bps }, longShare, instruments: loadBundledInstruments() });
      if (opts.json) {
        console.log(JSON.stringify(snap));
        return;
      }
      console.log(`predicted liquidation levels of ${what} at ${isoTime(at)} (${oi.length} open-interest points, ${trades.length} trades)\n`);
      const rows = (side: string, levels: readonly PredictedLevel[]) =>
        [...levels].sort((a, b) => b.notional - a.notional).slice(0, top).map((l) => [side, String(Number(l.price.toPrecision(8))), qtyText(l.qty), notionalText(l.notional), String(l.count), l.venues.join(',')]);
      console.log(table(['liquidates', 'price', 'qty', 'notional', 'slices', 'venues'], [...rows('longs', snap.longs), ...rows('shorts', snap.shorts)]));
      console.log(`\ntotal: longs ${notionalText(snap.long_notional)}, shorts ${notionalText(snap.short_notional)} (quote)`);
    });
}
