/**
 * `orderflow footprint`: per-candle, per-price-level aggressive volume. Native mode reads the
 * store; `--compat freqtrade` reproduces freqtrade's populate_dataframe_with_trades on a CSV.
 */
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { homeOption, type HomeOpts } from './common.ts';

interface FootprintCliOpts extends HomeOpts {
  compat?: string;
  input?: string;
  out?: string;
  symbol?: string;
  venues?: string;
  timeframe: string;
  scale?: string;
  levelTicks: string;
  tick?: string;
  from?: string;
  to?: string;
  json?: boolean;
  wide?: boolean;
  imbalanceRatio: string;
  imbalanceVolume?: string;
  imbalanceNotional?: string;
  emptyOpposite: string;
  imbalanceEdges?: boolean;
  ladder?: boolean;
  stackedRange: string;
  valueArea: string;
}

function number(text: string | undefined, option: string): number {
  const v = Number(text);
  if (text === undefined || text.trim() === '' || !Number.isFinite(v)) throw new UsageError(`${option}: expected a number, got ${JSON.stringify(text)}`);
  return v;
}

export function registerFootprint(program: Command): void {
  homeOption(
    program
      .command('footprint')
      .description('footprint candles: aggressive buy/sell volume per price level, imbalances, POC, value area')
      .option('--symbol <symbol>', 'market (native mode): venue-native symbol or base asset (AKT)')
      .option('--venues <list>', 'comma-separated venues to merge (native mode; default binance,okx,bybit; spot only by name)')
      .option('--timeframe <tf>', 'candle length: 1m, 5m, 15m, 1h, 4h, 1d...', '1m')
      .option('--level-ticks <n>', 'level height in ticks (native mode)', '1')
      .option('--tick <size>', 'tick size (native mode; default from the instrument)')
      .option('--from <time>', 'from this time, inclusive, UTC unless a zone follows (native mode)')
      .option('--to <time>', 'up to this time, exclusive (native mode)')
      .option('--imbalance-ratio <r>', 'diagonal imbalance ratio', '3')
      .option('--imbalance-volume <v>', 'minimum volume (base units) for an imbalance (default 0; freqtrade mode 1, as its docs)')
      // The default is the operator's (DEFAULT_IMBALANCE_NOTIONAL), not imported: registering a
      // command loads no feature code.
      .option('--imbalance-notional <quote>', 'minimum notional (volume x price, quote units) for an imbalance (native mode; default 5000)')
      .option('--empty-opposite <v>', "what an empty diagonal level counts as: 'skip' (never an imbalance against it) or a volume, e.g. the lot (native mode)", 'skip')
      .option('--imbalance-edges', "compare the candle's edge levels too, against --empty-opposite (native mode)")
      .option('--ladder', 'print each candle as a ladder: bid x ask per level, imbalances, POC, value area, stacks as price ranges (native mode)')
      .option('--stacked-range <n>', 'consecutive imbalanced levels that make a stack', '3')
      .option('--value-area <share>', 'value area share of volume (native mode)', '0.7')
      .option('--wide', 'print every table column (default: fit 120 columns)')
      .option('--json', 'print JSON (native mode; a candle the data cut off has "complete": false)')
      .option('--compat <mode>', "reproduce another tool's footprint exactly: freqtrade")
      .option('--input <file>', "freqtrade mode: freqtrade's trades file (<pair>-trades.feather, .json[.gz] or .parquet from download-data --dl-trades, or its trades CSV), or a CSV with header timestamp_ms,price,amount,side")
      .option('--scale <size>', 'freqtrade mode: level size in price units', '0.5')
      .option('--out <json>', 'freqtrade mode: output JSON file'),
  )
    .addHelpText(
      'after',
      `
Native mode reads trades from the store (all venues of the market merged, or --venues); levels
are multiples of the instrument's tick. A level is imbalanced when its ask is >= ratio x the bid
one level down (its bid >= ratio x the ask one level up), as Sierra Chart and ATAS flag them: never
against an empty level or at the candle's edge, and only with >= --imbalance-notional of volume.
--ladder prints the footprint itself, prices rounded to the tick and sizes to the lot.
Definitions: docs/FEATURES.md.

freqtrade mode reproduces freqtrade's populate_dataframe_with_trades (late-2024) bit for bit,
quirks included (listed in docs/FEATURES.md), and writes {"candles":[...]}. It reads the trades
files freqtrade itself keeps in its data folder (user_data/data/<exchange>/[futures/]<PAIR>-trades.feather,
.json, .json.gz or .parquet), in file order.

Examples:
  $ orderflow footprint --symbol BTCUSDT --venues binance --timeframe 5m --level-ticks 10
  $ orderflow footprint --symbol BTCUSDT --venues binance --from 2024-08-08T23:56Z --to 2024-08-08T23:58Z --ladder
  $ orderflow footprint --symbol AKT --timeframe 1h --json > akt-footprint.json
  $ orderflow footprint --compat freqtrade --input examples/trades.csv --timeframe 1m --scale 0.5 \\
      --imbalance-ratio 3 --imbalance-volume 1 --stacked-range 3 --out result.json
  $ orderflow footprint --compat freqtrade --input user_data/data/binance/futures/BTC_USDT_USDT-trades.feather \\
      --timeframe 5m --scale 10 --out btc-footprint.json`,
    )
    .action(async (opts: FootprintCliOpts) => {
      const imbalanceRatio = number(opts.imbalanceRatio, '--imbalance-ratio');
      const imbalanceVolume = number(opts.imbalanceVolume ?? (opts.compat === 'freqtrade' ? '1' : '0'), '--imbalance-volume');
      const stackedRange = number(opts.stackedRange, '--stacked-range');
      if (opts.compat !== undefined) {
        if (opts.compat !== 'freqtrade') throw new UsageError(`--compat: unknown mode ${JSON.stringify(opts.compat)}; known: freqtrade`);
        if (!opts.input || !opts.out) throw new UsageError(`--compat freqtrade needs ${!opts.input ? '--input <trades file>' : ''}${!opts.input && !opts.out ? ' and ' : ''}${!opts.out ? '--out <json>' : ''}`);
        // Each mode loads only its own modules: the freqtrade mode needs neither the store nor the
        // instrument registry, and starts that much sooner.
        const { runFreqtradeFootprint } = await import('../venues/freqtrade/footprint-file.ts');
        const r = await runFreqtradeFootprint({
          input: opts.input, out: opts.out, timeframe: opts.timeframe, scale: number(opts.scale, '--scale'),
          imbalanceRatio, imbalanceVolume, stackedRange,
        });
        console.error(`${r.trades} trades -> ${r.candles} candles written to ${opts.out}`);
        return;
      }
      if (!opts.symbol) throw new UsageError('--symbol is required (or --compat freqtrade with --input)');
      const { runNativeFootprint } = await import('./footprint-native.ts');
      await runNativeFootprint({
        home: opts.home, symbol: opts.symbol, venues: opts.venues, timeframe: opts.timeframe,
        levelTicks: number(opts.levelTicks, '--level-ticks'), tick: opts.tick === undefined ? undefined : number(opts.tick, '--tick'),
        from: opts.from, to: opts.to, json: opts.json, wide: opts.wide, imbalanceRatio, imbalanceVolume, stackedRange,
        valueArea: number(opts.valueArea, '--value-area'),
        imbalanceNotional: opts.imbalanceNotional === undefined ? undefined : number(opts.imbalanceNotional, '--imbalance-notional'),
        emptyOpposite: opts.emptyOpposite === 'skip' ? undefined : number(opts.emptyOpposite, '--empty-opposite'),
        imbalanceEdges: opts.imbalanceEdges === true, ladder: opts.ladder === true,
      });
    });
}
