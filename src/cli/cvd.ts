import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import type { Venue } from '../core/events.ts';
import { dataSpan, markComplete, TradeSpan } from '../features/complete.ts';
import { CVD_RESETS, type CvdBar, CvdOperator, type CvdReset } from '../features/cvd.ts';
import { DEFAULT_SESSIONS, parseSessions, parseTimeframe, sessionsText } from '../features/timeframe.ts';
import { streamTrades } from '../store/trade-reader.ts';
import { confirmMarketQuery } from '../query/market.ts';
import { homeOption, marketOptions, lakeOption, openReadSource, type LakeOpts } from './common.ts';
import { marketQuery } from './options.ts';
import { barTime, fitTable, formatters, INCOMPLETE_MARK, INCOMPLETE_NOTE, precisionOf, timeframeText } from './table.ts';

interface CvdOpts extends LakeOpts {
  symbol: string;
  venues?: string;
  timeframe: string;
  reset: string;
  sessions?: string;
  from?: string;
  to?: string;
  json?: boolean;
  perVenue?: boolean;
  wide?: boolean;
}

export function registerCvd(program: Command): void {
  lakeOption(homeOption(
    marketOptions(program
      .command('cvd')
      .description('cumulative volume delta per bar from stored trades: buy, sell, delta, cvd (base units)'), { spot: true })
      .option('--timeframe <tf>', 'bar length: 1m, 15m, 1h, 4h, 1d... (bars open at UTC multiples)', '1m')
      .option('--reset <mode>', `restart cvd each: ${CVD_RESETS.join(' | ')}`, 'none')
      .option('--sessions <list>', 'sessions for --reset session: NAME=HH:MM-HH:MM[@IANA zone, default UTC],...', sessionsText(DEFAULT_SESSIONS))
      .option('--per-venue', 'also one series per venue ("venues" in JSON)')
      .option('--wide', 'print every table column (default: fit 120 columns)')
      .option('--json', 'print {"bars":[{"open_time_ms","buy_volume","sell_volume","delta","cvd","complete"}]} for scripts'),
  ))
    .addHelpText(
      'after',
      `
Only bars with trades are printed; a bar the data cut off (the first without --from, the last
without --to, or any not wholly inside them) is marked * ("complete": false in JSON). Volumes are
rounded to the instrument's lot. cvd is the running sum of delta from the first bar printed,
restarted at each UTC day (--reset day) or each time a session opens (--reset session; the
sessions are market-time windows, e.g. US 09:30-16:00 America/New_York, daylight saving applied).
The bar's open time decides its day or session. Definitions: docs/FEATURES.md.

Examples:
  $ orderflow cvd --symbol ETHUSDT --venues binance --timeframe 1m --json
  $ orderflow cvd --symbol BTC --timeframe 1h --reset day --from 2024-08-01 --to 2024-08-08
  $ orderflow cvd --symbol BTC --timeframe 15m --reset session --sessions 'Asia=00:00-07:00,London=07:00-12:00,NY=12:00-20:00'
  $ orderflow cvd --symbol AKT --timeframe 1d --per-venue --json | jq '.venues.okx[-1].cvd'
  $ orderflow cvd --symbol BTC --timeframe 1h --lake s3://desk-lake/orderflow --from 2024-11-01 --to 2024-11-08`,
    )
    .action(async (opts: CvdOpts) => {
      const timeframeMs = parseTimeframe(opts.timeframe);
      if (!(CVD_RESETS as readonly string[]).includes(opts.reset)) throw new UsageError(`--reset: expected ${CVD_RESETS.join(', ')}, got ${JSON.stringify(opts.reset)}`);
      const reset = opts.reset as CvdReset;
      const sessions = opts.sessions === undefined ? DEFAULT_SESSIONS : parseSessions(opts.sessions);
      const q = marketQuery(opts);
      const all: CvdBar[] = [];
      const perVenue = new Map<Venue, CvdBar[]>();
      const span = new TradeSpan();
      const ops = [span, new CvdOperator({ timeframeMs, reset, sessions }, (b) => all.push(b))];
      if (opts.perVenue) {
        for (const venue of q.venues) {
          const bars: CvdBar[] = [];
          perVenue.set(venue, bars);
          ops.push(new CvdOperator({ timeframeMs, reset, sessions, venue }, (b) => bars.push(b)));
        }
      }
      const store = await openReadSource(opts, q);
      try {
        await confirmMarketQuery(store, q);
        for await (const chunk of streamTrades(store, q)) for (const op of ops) op.push(chunk);
        for (const op of ops) op.flush();
      } finally {
        store.close();
      }
      const covered = dataSpan(q, span);
      const mark = (bars: CvdBar[]) => markComplete(bars, (b) => [b.open_time_ms, b.open_time_ms + timeframeMs], covered);
      const venuesWithBars = [...perVenue].filter(([, bars]) => bars.length > 0).map(([v, bars]) => [v, mark(bars)] as const);
      const marked = mark(all);
      if (opts.json) {
        console.log(JSON.stringify(opts.perVenue ? { bars: marked, venues: Object.fromEntries(venuesWithBars) } : { bars: marked }));
        return;
      }
      const what = q.pairs.map(([v, s]) => `${v} ${s}`).join(', ');
      if (all.length === 0) {
        console.log(`no trades stored for ${what}${q.fromMs !== undefined || q.toMs !== undefined ? ' in that time range' : ''}`);
        return;
      }
      const { size } = formatters(precisionOf(q.registry, q.pairs));
      const print = (title: string, bars: readonly (CvdBar & { complete: boolean })[]) => {
        console.log(`${title}: ${bars.length} bars of ${timeframeText(timeframeMs)}, reset ${reset}\n`);
        console.log(
          fitTable(
            ['open (UTC)', 'buy', 'sell', 'delta', 'cvd'],
            bars.map((b) => [barTime(b.open_time_ms, timeframeMs) + (b.complete ? '' : INCOMPLETE_MARK), size(b.buy_volume), size(b.sell_volume), size(b.delta), size(b.cvd)]),
            { drop: [], wide: opts.wide },
          ),
        );
        if (bars.some((b) => !b.complete)) console.log(INCOMPLETE_NOTE);
      };
      print(`cvd of ${what}`, marked);
      for (const [venue, bars] of venuesWithBars) {
        console.log('');
        print(`cvd of ${venue} ${q.pairs.find((p) => p[0] === venue)?.[1]}`, bars);
      }
    });
}
