/**
 * `orderflow sessions`: one row per trading-session occurrence (market date x session): OHLC,
 * volume and notional by aggressor, the print-size distribution and price impact
 * (docs/FEATURES.md "Sessions").
 */
import type { Command } from 'commander';
import { dataSpan, markComplete, TradeSpan } from '../features/complete.ts';
import { LiquidationWindows, type SessionStats, SessionStatsOperator } from '../features/sessions.ts';
import { DEFAULT_SESSIONS, parseSessions, sessionsText } from '../features/timeframe.ts';
import { readLiquidations } from '../store/liquidation-reader.ts';
import { Store } from '../store/store.ts';
import { feedStoredTrades } from '../query/feed.ts';
import { confirmMarketQuery } from '../query/market.ts';
import { existingHome, homeOption, marketOptions, type HomeOpts } from './common.ts';
import { isoTime, notionalText } from './format.ts';
import { marketQuery } from './options.ts';
import { fitTable, formatters, INCOMPLETE_MARK, INCOMPLETE_NOTE, precisionOf, wrap } from './table.ts';

interface SessionsOpts extends HomeOpts {
  symbol: string;
  /** Comma-separated venues, merged; default the perpetual venues. */
  venues?: string;
  /** `NAME=HH:MM-HH:MM[@Zone],...`; default DEFAULT_SESSIONS. */
  sessions?: string;
  from?: string;
  to?: string;
  wide?: boolean;
  json?: boolean;
}

/**
 * Session statistics of the stored trades of `symbol` on `venues`, merged: a table, or with
 * `json` `{"sessions":[SessionStats + liquidations {long_count, long_notional, short_count,
 * short_notional}...]}` (NaN, e.g. an impact that cannot be fitted, as null). Liquidations of a
 * session occurrence without trades are not shown.
 */
async function runSessions(opts: SessionsOpts): Promise<void> {
  const sessions = opts.sessions === undefined ? DEFAULT_SESSIONS : parseSessions(opts.sessions);
  const q = marketQuery(opts);
  const rows: SessionStats[] = [];
  const op = new SessionStatsOperator({ sessions }, (s) => rows.push(s));
  const span = new TradeSpan();
  const read = await feedStoredTrades(existingHome(opts), q, [span, op]);
  const store = await Store.open(existingHome(opts), { readOnly: true });
  let liqs;
  try {
    await confirmMarketQuery(store, q);
    liqs = new LiquidationWindows(await readLiquidations(store, q));
  } finally {
    store.close();
  }
  rows.sort((a, b) => a.start_ms - b.start_ms || sessions.findIndex((s) => s.name === a.session) - sessions.findIndex((s) => s.name === b.session));
  const withLiqs = markComplete(rows, (s) => [s.start_ms, s.end_ms], dataSpan(q, span)).map((s) => ({ ...s, liquidations: liqs.between(s.start_ms, s.end_ms) }));
  if (opts.json) {
    console.log(JSON.stringify({ sessions: withLiqs }));
    return;
  }
  const what = q.pairs.map(([v, s]) => `${v} ${s}`).join(', ');
  if (rows.length === 0) {
    const range = q.fromMs !== undefined || q.toMs !== undefined ? ' in that time range' : '';
    console.log(read === 0 ? `no trades stored for ${what}${range}` : wrap(`${read} trades of ${what}${range}, none inside a session window (${sessionsText(sessions)})`));
    return;
  }
  console.log(`sessions of ${what}: ${rows.length} session occurrences`);
  console.log(wrap(`windows: ${sessionsText(sessions)}; volume in base units, notional in quote units`));
  console.log('');
  const num = (x: number, d: number) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  const { price, size } = formatters(precisionOf(q.registry, q.pairs));
  console.log(
    fitTable(
      ['date', 'session', 'first trade (UTC)', 'open', 'high', 'low', 'close', 'volume', 'buy vol', 'sell vol', 'delta vol', 'notional', 'buy not', 'sell not', 'delta not', 'print p50', 'print p90', 'print p99', 'impact bps/M', 'liq longs', 'liq shorts'],
      withLiqs.map((s) => [
        s.date, s.session + (s.complete ? '' : INCOMPLETE_MARK), isoTime(s.first_ts), price(s.open), price(s.high), price(s.low), price(s.close),
        size(s.volume), size(s.buy_volume), size(s.sell_volume), size(s.delta_volume),
        notionalText(s.notional), notionalText(s.buy_notional), notionalText(s.sell_notional), notionalText(s.delta_notional),
        notionalText(s.print_p50), notionalText(s.print_p90), notionalText(s.print_p99), num(s.impact_bps_per_m, 3),
        String(s.liquidations.long_count), String(s.liquidations.short_count),
      ]),
      { drop: ['first trade (UTC)', 'buy not', 'sell not', 'buy vol', 'sell vol', 'print p90', 'print p99', 'notional', 'liq longs', 'liq shorts', 'high', 'low'], wide: opts.wide },
    ),
  );
  if (withLiqs.some((s) => !s.complete)) console.log(INCOMPLETE_NOTE);
}

export function registerSessions(program: Command): void {
  homeOption(
    marketOptions(program
      .command('sessions')
      .description('per trading-session occurrence (market date x session, in market time): OHLC, volume and notional by aggressor, print-size percentiles, price impact'), { spot: true })
      .option('--sessions <list>', 'session windows NAME=HH:MM-HH:MM[@IANA zone, default UTC], comma-separated', sessionsText(DEFAULT_SESSIONS))
      .option('--wide', 'print every table column (default: fit 120 columns)')
      .option('--json', 'print {"sessions":[{"date","session","start_ms","end_ms","open",...,"volume","notional",...,"print_p50","impact_bps_per_m","complete"}]} for scripts'),
  )
    .addHelpText(
      'after',
      `
Sessions are wall-clock windows of their market's zone, daylight saving applied date by date:
the US session 09:30-16:00 America/New_York is 14:30-21:00 UTC in January and 13:30-20:00 UTC
in July. Windows may overlap (a trade in both Europe and US counts in both) and may wrap past
midnight (22:00-06:00); a trade in no window counts in none. "date" is the market's local date
the session opens on; start/end are its window in UTC. Only sessions with trades are printed; a
session the data cut off is marked * ("complete": false in JSON). Prices are rounded to the
instrument's tick, volumes to its lot. Print percentiles are of the notional of
prints (the fills of one ts, venue and side merged), to about 6%. Impact is the slope of 1m
returns (bps) on 1m net aggressive notional (per million quote units); "-" when it cannot be
fitted (fewer than 3 minutes with trades). Definitions: docs/FEATURES.md.

Examples:
  $ orderflow sessions --symbol BTCUSDT --venues binance
  $ orderflow sessions --symbol BTC --from 2024-08-01 --to 2024-08-08 --json
  $ orderflow sessions --symbol ETH --sessions 'asia=00:00-08:00,europe=08:00-13:30,us=13:30-21:00'   # UTC windows
  $ orderflow sessions --symbol BTC --sessions 'Sydney=10:00-16:00@Australia/Sydney,NY=09:30-16:00@America/New_York,Night=22:00-06:00@UTC'
  $ orderflow sessions --symbol BTC --json | jq '.sessions[] | select(.session == "US") | .delta_notional'`,
    )
    .action((opts: SessionsOpts) => runSessions(opts));
}
