/**
 * `orderflow book`: large resting orders ("walls") of one venue's stored L2 book and what became
 * of them (bait = pulled as price came to it, pulled, consumed = traded through, resting), plus
 * book imbalance near the touch.
 */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { VENUES, type Venue } from '../core/events.ts';
import { marketPairs } from '../core/symbols.ts';
import { bookBait, WALL_DEFAULTS, type WallEvent } from '../features/book.ts';
import { parseTimeframe } from '../features/timeframe.ts';
import { readBook } from '../store/book-reader.ts';
import { readTrades } from '../store/trade-reader.ts';
import { confirmMarket } from '../store/markets.ts';
import { Store } from '../store/store.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';
import { registryTick } from '../query/market.ts';
import { existingHome, homeOption, type HomeOpts } from './common.ts';
import { isoTime, qtyText, table } from './format.ts';
import { numberOpt, parseTime } from './options.ts';

interface BookOpts extends HomeOpts {
  symbol: string;
  venue: string;
  from?: string;
  to?: string;
  tick?: string;
  wallMultiple: string;
  minNotional: string;
  minDepthShare: string;
  baitDistance: string;
  approach: string;
  json?: boolean;
}

export function registerBook(program: Command): void {
  homeOption(
    program
      .command('book')
      .description('walls in the stored order book and what became of them: bait (pulled as price came), pulled, consumed, resting; imbalance near the touch')
      .requiredOption('--symbol <symbol>', 'a venue-native symbol or a base asset')
      .requiredOption('--venue <venue>', `one venue's book (${VENUES.join(', ')})`)
      .option('--from <time>', 'from this time, inclusive, UTC unless a zone follows (diffs before the next snapshot cannot be applied)')
      .option('--to <time>', 'up to this time, exclusive')
      .option('--tick <size>', 'tick size (default from the instrument)')
      .option('--wall-multiple <x>', 'a wall is a level at least this many times the typical (median) level size near the touch', String(WALL_DEFAULTS.wallMultiple))
      .option('--min-notional <quote>', 'and worth at least this much (qty x price, quote currency)', String(WALL_DEFAULTS.minWallNotional))
      .option('--min-depth-share <share>', "and at least this share of its side's depth over the 10 best levels", String(WALL_DEFAULTS.minDepthShare))
      .option('--bait-distance <bps>', 'a pulled wall is bait when its touch stood within this many bps of it', String(WALL_DEFAULTS.baitDistanceBps))
      .option('--approach <duration>', 'and had come at least a tick closer within this long before', `${WALL_DEFAULTS.approachMs / 1000}s`)
      .option('--json', 'print {"walls":[...],"imbalance":[...]} (NaN as null)'),
  )
    .addHelpText(
      'after',
      `
Resting depth is often bait: imbalance alone is never a signal. A wall must be large against the
typical level, in notional, and against the depth near the touch (dust 5x a median of dust is
not a wall). One that vanishes without trades at its price is "bait" when price was coming to it
(its touch within --bait-distance of it, and closer than it was --approach before), else
"pulled"; one traded through is "consumed". Definitions and limits: docs/FEATURES.md ("Book and bait").

Examples:
  $ orderflow book --symbol BTCUSDT --venue bybit
  $ orderflow book --symbol DOGE --venue bybit --min-notional 5000 --bait-distance 20
  $ orderflow book --symbol ETH --venue bybit --json | jq '.walls[] | select(.outcome=="bait")'`,
    )
    .action(async (opts: BookOpts) => {
      if (!(VENUES as readonly string[]).includes(opts.venue)) throw new UsageError(`--venue: unknown venue ${JSON.stringify(opts.venue)}; known: ${VENUES.join(', ')}`);
      const venue = opts.venue as Venue;
      const registry = loadBundledInstruments();
      const [[, symbol]] = marketPairs(registry, opts.symbol, [venue], true, '--symbol', '--venue');
      const fromMs = opts.from === undefined ? undefined : parseTime(opts.from, '--from');
      const toMs = opts.to === undefined ? undefined : parseTime(opts.to, '--to');
      const store = await Store.open(existingHome(opts), { readOnly: true });
      let result;
      let messages: number;
      try {
        await confirmMarket(store, registry, opts.symbol, [[venue, symbol]]);
        const tick = opts.tick === undefined ? registryTick([[venue, symbol]]) : numberOpt(opts.tick, '--tick');
        const book = await readBook(store, { venue, symbol, fromMs, toMs });
        messages = book.length;
        const trades = await readTrades(store, { venues: [venue], symbols: [symbol], fromMs, toMs });
        result = bookBait(book, trades, {
          tick,
          wallMultiple: numberOpt(opts.wallMultiple, '--wall-multiple'),
          minWallNotional: numberOpt(opts.minNotional, '--min-notional'),
          minDepthShare: numberOpt(opts.minDepthShare, '--min-depth-share'),
          baitDistanceBps: numberOpt(opts.baitDistance, '--bait-distance'),
          approachMs: parseTimeframe(opts.approach, '--approach'),
        });
      } finally {
        store.close();
      }
      if (opts.json) {
        console.log(JSON.stringify(result));
        return;
      }
      if (messages === 0) {
        console.log(`no book stored for ${venue} ${symbol}`);
        return;
      }
      const count = (o: WallEvent['outcome']) => result.walls.filter((w) => w.outcome === o).length;
      console.log(`book of ${venue} ${symbol}: ${messages} messages, ${result.walls.length} walls (bait ${count('bait')}, pulled ${count('pulled')}, consumed ${count('consumed')}, resting ${count('resting')})\n`);
      if (result.walls.length > 0) {
        console.log(table(
          ['decided (UTC)', 'outcome', 'side', 'price', 'peak', 'notional', 'depth %', 'traded', 'lifetime s', 'ticks from touch'],
          result.walls.map((w) => [isoTime(w.ts), w.outcome, w.side, String(w.price), qtyText(w.peak), w.notional.toFixed(0), (100 * w.depthShare).toFixed(0), qtyText(w.tradedQty), (w.lifetimeMs / 1000).toFixed(1), `${w.distanceAtAppear} -> ${w.distanceAtEnd}`]),
        ));
      }
      const imb = result.imbalance.map((s) => s.imbalance).filter(Number.isFinite);
      if (imb.length > 0) console.log(`\nimbalance near the touch: mean ${(imb.reduce((a, b) => a + b, 0) / imb.length).toFixed(3)} over ${imb.length} samples (never a signal alone)`);
    });
}
