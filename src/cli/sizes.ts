/**
 * `orderflow sizes`: per bar, aggressive flow split by print size (small / medium / large /
 * whale), the size-weighted delta and the big prints (docs/FEATURES.md "Size-weighted flow and
 * big prints"). Trades are merged into prints (one aggressive order = the fills of one ts, venue
 * and side) before they are bucketed.
 */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { SIZE_BUCKETS, SizeFlowOperator, type SizeBar, type SizeBucket, type SizeThresholdOptions } from '../features/sizes.ts';
import { HOUR_MS, parseTimeframe } from '../features/timeframe.ts';
import { feedStoredTrades } from '../query/feed.ts';
import { existingHome, homeOption, marketOptions, type HomeOpts } from './common.ts';
import { notionalText } from './format.ts';
import { marketQuery, numberOpt, parseFixed } from './options.ts';
import { dataSpan, markComplete, TradeSpan } from '../features/complete.ts';
import { barTime, fitTable, INCOMPLETE_MARK, INCOMPLETE_NOTE, timeframeText } from './table.ts';

interface SizesOpts extends HomeOpts {
  symbol: string;
  /** Comma-separated venues, merged; default the perpetual venues. */
  venues?: string;
  timeframe: string;
  /** Fixed thresholds `medium,large,whale` (quote notional); default adaptive. */
  fixed?: string;
  /** Adaptive window in hours (>= 1); default 24. Not with `fixed`. */
  windowHours?: string;
  /** Smallest bucket listed as a big print: small | medium | large | whale | none. Default whale. */
  bigMin?: string;
  from?: string;
  to?: string;
  wide?: boolean;
  json?: boolean;
}

const BIG_MINS = [...SIZE_BUCKETS, 'none'] as const;

/** The size thresholds the options ask for (UsageError naming the option when they are bad). */
function thresholdOpts(opts: SizesOpts): SizeThresholdOptions {
  if (opts.fixed !== undefined && opts.windowHours !== undefined) throw new UsageError('--window-hours: only for adaptive thresholds, not with --fixed');
  if (opts.fixed !== undefined) return { fixed: parseFixed(opts.fixed) };
  if (opts.windowHours === undefined) return {};
  const h = numberOpt(opts.windowHours, '--window-hours', 'a number of hours >= 1');
  if (!(h >= 1 && h <= 10_000)) throw new UsageError(`--window-hours: expected a number of hours in 1..10000, got ${JSON.stringify(opts.windowHours)}`);
  return { windowMs: h * HOUR_MS };
}

/**
 * Size-bucket flow of the stored trades of `symbol` on `venues`, merged, one bar per timeframe
 * with trades: a table, or with `json` `{"bars":[SizeBar...]}` (non-finite numbers, such as
 * whale_min without a whale bucket, written as null).
 */
async function runSizes(opts: SizesOpts): Promise<void> {
  const timeframeMs = parseTimeframe(opts.timeframe);
  const thresholds = thresholdOpts(opts);
  const bigMin = opts.bigMin ?? 'whale';
  if (!(BIG_MINS as readonly string[]).includes(bigMin)) throw new UsageError(`--big-min: expected ${BIG_MINS.join(', ')}, got ${JSON.stringify(bigMin)}`);
  const q = marketQuery(opts);
  const bars: SizeBar[] = [];
  const op = new SizeFlowOperator({ timeframeMs, thresholds, bigPrintMin: bigMin as SizeBucket | 'none' }, (b) => bars.push(b));
  const span = new TradeSpan();
  await feedStoredTrades(existingHome(opts), q, [span, op]);
  const marked = markComplete(bars, (b) => [b.open_time_ms, b.open_time_ms + timeframeMs], dataSpan(q, span));
  if (opts.json) {
    console.log(JSON.stringify({ bars: marked }));
    return;
  }
  const what = q.pairs.map(([v, s]) => `${v} ${s}`).join(', ');
  if (bars.length === 0) {
    console.log(`no trades stored for ${what}${q.fromMs !== undefined || q.toMs !== undefined ? ' in that time range' : ''}`);
    return;
  }
  const mode = thresholds.fixed ? `fixed thresholds ${thresholds.fixed.map(notionalText).join(' / ')}` : `adaptive thresholds (p50/p95/p99 of print notional over ${(thresholds.windowMs ?? 24 * HOUR_MS) / HOUR_MS}h; fallback while warming up)`;
  console.log(`size flow of ${what}: ${bars.length} bars of ${timeframeText(timeframeMs)}, notional in quote units,\n${mode}\n`);
  console.log(
    fitTable(
      ['open (UTC)', 'prints', 'buy', 'sell', 'delta', 'small d', 'medium d', 'large d', 'whale d', 'weighted d', 'medium>=', 'large>=', 'whale>=', 'adaptive', 'big'],
      marked.map((b) => [
        barTime(b.open_time_ms, timeframeMs) + (b.complete ? '' : INCOMPLETE_MARK), String(b.prints), notionalText(b.buy_notional), notionalText(b.sell_notional), notionalText(b.delta_notional),
        notionalText(b.small.delta_notional), notionalText(b.medium.delta_notional), notionalText(b.large.delta_notional), notionalText(b.whale.delta_notional),
        notionalText(b.weighted_delta_notional), notionalText(b.medium_min), notionalText(b.large_min), notionalText(b.whale_min), b.adaptive ? 'yes' : 'no', String(b.big_prints.length),
      ]),
      { drop: ['adaptive', 'whale>=', 'large>=', 'medium>=', 'prints', 'small d', 'medium d'], wide: opts.wide },
    ),
  );
  if (marked.some((b) => !b.complete)) console.log(INCOMPLETE_NOTE);
}

export function registerSizes(program: Command): void {
  homeOption(
    marketOptions(program
      .command('sizes')
      .description('size-bucket flow per bar: buy/sell/delta notional of small, medium, large and whale prints, size-weighted delta, big prints'), { spot: true })
      .option('--timeframe <tf>', 'bar length: 1m, 15m, 1h, 4h, 1d... (bars open at UTC multiples)', '15m')
      .option('--fixed <m,l,w>', 'fixed thresholds in quote notional where medium, large and whale start (whale may be inf); default adaptive')
      .option('--window-hours <h>', 'adaptive thresholds: rolling window of print notional, hours (default 24)')
      .option('--big-min <bucket>', `smallest bucket listed in big_prints: ${BIG_MINS.join(' | ')}`, 'whale')
      .option('--wide', 'print every table column (default: fit 120 columns, leaving out the thresholds first)')
      .option('--json', 'print {"bars":[{"open_time_ms","buy_notional",...,"small":{...},"big_prints":[...],"complete"}]} for scripts'),
  )
    .addHelpText(
      'after',
      `
Trades of one ts, venue and aggressor side are merged into one print (one aggressive order).
Adaptive thresholds are the p50 / p95 / p99 of print notional over the last --window-hours,
from prints strictly earlier than the one classified (1000, 10000, 100000 while fewer than 1000
prints are in the window). The weighted delta is 0.25 x small + 1 x medium + 2 x large +
4 x whale delta. The thresholds shown are those of the bar's last print; "big" counts the
prints of --big-min and above. Only bars with trades are printed; a bar the data cut off is
marked * ("complete": false in JSON). Definitions: docs/FEATURES.md.

Examples:
  $ orderflow sizes --symbol BTCUSDT --venues binance --timeframe 15m
  $ orderflow sizes --symbol BTC --timeframe 1h --fixed 10000,100000,1000000 --json
  $ orderflow sizes --symbol ETH --timeframe 5m --window-hours 6 --from 2024-08-01 --to 2024-08-02
  $ orderflow sizes --symbol BTC --timeframe 1h --big-min large --json | jq '.bars[].big_prints[]'`,
    )
    .action((opts: SizesOpts) => runSizes(opts));
}
