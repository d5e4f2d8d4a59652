/** `orderflow divergence`: CVD vs price divergence events on stored trades (docs/FEATURES.md). */
import type { Command } from 'commander';
import { DEFAULT_DIVERGENCE_TIMEFRAMES, DEFAULT_PRICE_BAND, DivergenceOperator, type DivergenceEvent } from '../features/divergence.ts';
import { parseTimeframe } from '../features/timeframe.ts';
import { feedStoredTrades } from '../query/feed.ts';
import { existingHome, homeOption, marketOptions, type HomeOpts } from './common.ts';
import { isoTime, qtyText, table } from './format.ts';
import { marketQuery, numberOpt } from './options.ts';
import { timeframeText } from './table.ts';

interface DivergenceOpts extends HomeOpts {
  symbol: string;
  venues?: string;
  timeframes: string;
  window: string;
  lookback: string;
  k: string;
  minShare: string;
  priceBand: string;
  from?: string;
  to?: string;
  json?: boolean;
}

const TF_TEXT = DEFAULT_DIVERGENCE_TIMEFRAMES.map(timeframeText).join(',');

export function registerDivergence(program: Command): void {
  homeOption(
    marketOptions(program
      .command('divergence')
      .description('delta divergence: persistent one-sided aggressive flow while price stays flat'))
      .option('--timeframes <list>', 'bar lengths to watch', TF_TEXT)
      .option('--window <bars>', 'bars in the divergence window', '20')
      .option('--lookback <bars>', 'bars of history that set the z-score scale (also the warm-up)', '100')
      .option('--k <z>', 'minimum CVD z-score of the window', '1.5')
      .option('--min-share <share>', 'minimum share of window bars whose delta has the event sign', '0.65')
      .option('--price-band <z>', 'price is flat when the window return is within this many z either way', String(DEFAULT_PRICE_BAND))
      .option('--json', 'print {"events":[...]} (NaN as null)'),
  )
    .addHelpText(
      'after',
      `
An event is known at the close of its window's last bar and uses no later trade. Definitions:
docs/FEATURES.md ("Delta divergence").

Examples:
  $ orderflow divergence --symbol BTC
  $ orderflow divergence --symbol ETHUSDT --venues binance --timeframes 15m --window 12 --lookback 48 --json`,
    )
    .action(async (opts: DivergenceOpts) => {
      const timeframesMs = opts.timeframes.split(',').map((t) => parseTimeframe(t.trim(), '--timeframes'));
      const q = marketQuery(opts);
      const events: DivergenceEvent[] = [];
      const op = new DivergenceOperator(
        {
          timeframesMs,
          window: numberOpt(opts.window, '--window'),
          lookback: numberOpt(opts.lookback, '--lookback'),
          warmup: numberOpt(opts.lookback, '--lookback'),
          k: numberOpt(opts.k, '--k'),
          minShare: numberOpt(opts.minShare, '--min-share'),
          priceBand: numberOpt(opts.priceBand, '--price-band'),
        },
        (e) => events.push(e),
      );
      const trades = await feedStoredTrades(existingHome(opts), q, [op]);
      if (opts.json) {
        console.log(JSON.stringify({ events }));
        return;
      }
      const what = q.pairs.map(([v, s]) => `${v} ${s}`).join(', ');
      console.log(`divergence on ${what}: ${trades} trades, ${events.length} events\n`);
      if (events.length === 0) return;
      console.log(table(
        ['known at (UTC)', 'tf', 'direction', 'cvd z', 'price z', 'window delta', 'return bps', 'one-sided'],
        events.map((e) => [isoTime(e.ts), timeframeText(e.timeframe_ms), e.direction, e.cvd_z.toFixed(2), e.price_z.toFixed(2), qtyText(e.window_delta), e.window_return_bps.toFixed(1), e.one_sided_share.toFixed(2)]),
      ));
    });
}
