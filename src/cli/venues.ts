/** `orderflow venues`: cross-venue corroboration of aggressive flow per window (docs/FEATURES.md). */
import type { Command } from 'commander';
import { dataSpan, markComplete, TradeSpan } from '../features/complete.ts';
import { CROSS_VENUE_DEFAULTS, CrossVenueOperator, type CrossVenueWindow } from '../features/venues.ts';
import { parseTimeframe } from '../features/timeframe.ts';
import { feedStoredTrades } from '../query/feed.ts';
import { existingHome, homeOption, marketOptions, type HomeOpts } from './common.ts';
import { isoTime, table } from './format.ts';
import { marketQuery, numberOpt } from './options.ts';
import { INCOMPLETE_MARK, INCOMPLETE_NOTE, timeframeText } from './table.ts';

interface VenuesOpts extends HomeOpts {
  symbol: string;
  venues?: string;
  timeframe: string;
  bucket: string;
  minShare: string;
  maxLag: string;
  from?: string;
  to?: string;
  json?: boolean;
}

export function registerVenues(program: Command): void {
  homeOption(
    marketOptions(program
      .command('venues')
      .description('cross-venue corroboration: do Binance, OKX and Bybit flows agree? score in [-1, 1] (n/a under two venues), disagree flag, lead-lag'), { venues: 'comma-separated venues to compare (default binance,okx,bybit)' })
      .option('--timeframe <tf>', 'window length', '5m')
      .option('--bucket <tf>', 'sub-bucket for correlation and lead-lag', `${CROSS_VENUE_DEFAULTS.bucketMs / 1000}s`)
      .option('--min-share <share>', "a venue counts when its share of the window's volume is at least this", String(CROSS_VENUE_DEFAULTS.minShare))
      .option('--max-lag <buckets>', 'largest lead-lag tried, in sub-buckets', String(CROSS_VENUE_DEFAULTS.maxLag))
      .option('--json', 'print {"windows":[...]} (NaN as null; a window the data cut off has "complete": false)'),
  )
    .addHelpText(
      'after',
      `
A window's result is known at its close and uses only its own trades. A venue is material when
its share of the window's volume is at least --min-share; with fewer than two material venues
there is nothing to corroborate and the score is n/a (null in JSON).
Definitions: docs/FEATURES.md ("Cross-venue corroboration").

Examples:
  $ orderflow venues --symbol BTC --timeframe 5m
  $ orderflow venues --symbol ETH --venues binance,bybit --bucket 5s --json | jq '.windows[] | select(.disagree)'`,
    )
    .action(async (opts: VenuesOpts) => {
      const q = marketQuery(opts);
      const windows: CrossVenueWindow[] = [];
      const timeframeMs = parseTimeframe(opts.timeframe);
      const op = new CrossVenueOperator(
        {
          timeframeMs,
          bucketMs: parseTimeframe(opts.bucket, '--bucket'),
          minShare: numberOpt(opts.minShare, '--min-share'),
          maxLag: numberOpt(opts.maxLag, '--max-lag'),
        },
        (w) => windows.push(w),
      );
      const span = new TradeSpan();
      await feedStoredTrades(existingHome(opts), q, [span, op]);
      const marked = markComplete(windows, (w) => [w.window_start, w.ts], dataSpan(q, span));
      if (opts.json) {
        console.log(JSON.stringify({ windows: marked }));
        return;
      }
      const what = q.pairs.map(([v, s]) => `${v} ${s}`).join(', ');
      console.log(`cross-venue flow of ${what}: ${windows.length} windows of ${timeframeText(timeframeMs)}\n`);
      if (windows.length === 0) return;
      const fmt = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : '-');
      console.log(table(
        ['close (UTC)', 'venues', 'agreement', 'correlation', 'score', 'disagree', 'leader'],
        marked.map((w) => [
          isoTime(w.ts) + (w.complete ? '' : INCOMPLETE_MARK),
          w.venues.filter((v) => v.material).map((v) => `${v.venue}${v.sign > 0 ? '+' : v.sign < 0 ? '-' : '='}`).join(' '),
          fmt(w.agreement), fmt(w.correlation), w.score === null ? 'n/a' : fmt(w.score), w.disagree ? 'YES' : '',
          w.lead_lag.filter((l) => l.leader).map((l) => `${l.leader} by ${Math.abs(l.lag)}`).join(', '),
        ]),
      ));
      if (marked.some((w) => !w.complete)) console.log(INCOMPLETE_NOTE);
    });
}
