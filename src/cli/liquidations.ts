/**
 * `orderflow liquidations`: realized liquidation clusters at a time, or the time x price
 * liquidation heatmap (docs/FEATURES.md "Liquidation clusters and heatmap"). Liquidation feeds
 * are sampled (docs/NORMALIZATION.md): counts and notionals are lower bounds.
 */
import type { Command } from 'commander';
import type { LiquidationColumns } from '../core/columns.ts';
import { UsageError } from '../core/errors.ts';
import type { Venue } from '../core/events.ts';
import { decimalsOf } from '../features/footprint.ts';
import {
  heatmapCells,
  liquidationHeatmap,
  type LiquidationBins,
  type LiquidationHeatmap,
  type LiquidationSnapshot,
} from '../features/liquidations.ts';
import { HOUR_MS, parseTimeframe } from '../features/timeframe.ts';
import { readLiquidations } from '../store/liquidation-reader.ts';
import { Store } from '../store/store.ts';
import { snapshotAt } from '../query/liquidation-snapshot.ts';
import { confirmMarketQuery, registryTick } from '../query/market.ts';
import { existingHome, homeOption, marketOptions, type HomeOpts } from './common.ts';
import { clusterOptions, type ClusterOpts, type ClusterSettings, givenClusterFlags, parseClusterOpts } from './cluster-options.ts';
import { isoTime, notionalText, SAMPLED_NOTE, table } from './format.ts';
import { DEFAULT_BPS, marketQuery, numberOpt, parseTime } from './options.ts';
import { fitTable, formatters, precisionOf, timeframeText, wrap } from './table.ts';

export interface LiquidationsOpts extends HomeOpts, ClusterOpts {
  symbol: string;
  /** Comma-separated venues, merged; default the perpetual venues. */
  venues?: string;
  from?: string;
  to?: string;
  /** Bins of N ticks (tick from the registry unless `tick`). Not with `bps`. */
  binTicks?: string;
  /** Log-price bins of B basis points. Default 10 when neither bins option is given. */
  bps?: string;
  tick?: string;
  /** Snapshot time (clusters only); default the last event read. */
  at?: string;
  heatmap?: boolean;
  /** Heatmap bucket length; default 1h. */
  timeframe?: string;
  /** Heatmap table: the N largest cells. Default 20. */
  top?: string;
  /** Every table column (default: fit 120 columns). */
  wide?: boolean;
  json?: boolean;
}



/** The price bins the options ask for; `markets` are those with stored liquidations (for the tick). */
function binsOf(opts: LiquidationsOpts, markets: readonly [Venue, string][]): LiquidationBins {
  if (opts.bps !== undefined) {
    if (opts.binTicks !== undefined) throw new UsageError('--bps: give either --bin-ticks or --bps, not both');
    if (opts.tick !== undefined) throw new UsageError('--tick: only with --bin-ticks (bps bins need no tick)');
    const bps = numberOpt(opts.bps, '--bps', 'a bin width in basis points > 0');
    if (!(bps > 0 && bps <= 10_000)) throw new UsageError(`--bps: expected a bin width in basis points in (0, 10000], got ${JSON.stringify(opts.bps)}`);
    return { bps };
  }
  if (opts.binTicks === undefined) {
    if (opts.tick !== undefined) throw new UsageError('--tick: only with --bin-ticks (the default bins are --bps 10)');
    return { bps: DEFAULT_BPS };
  }
  const binTicks = numberOpt(opts.binTicks, '--bin-ticks', 'a whole number of ticks >= 1');
  if (!(Number.isInteger(binTicks) && binTicks >= 1)) throw new UsageError(`--bin-ticks: expected a whole number of ticks >= 1, got ${JSON.stringify(opts.binTicks)}`);
  let tick: number;
  if (opts.tick !== undefined) {
    tick = numberOpt(opts.tick, '--tick', 'a price step > 0');
    if (!(tick > 0)) throw new UsageError(`--tick: expected a price step > 0, got ${JSON.stringify(opts.tick)}`);
  } else {
    tick = markets.length > 0 ? registryTick(markets, ', or use --bps') : 1;
  }
  return { tick, binTicks };
}

interface Checked {
  cluster: ClusterSettings;
  atMs?: number;
  timeframeMs: number;
  top: number;
}

/** Every option that does not need the store; UsageError naming the option. */
function checkOpts(opts: LiquidationsOpts): Checked {
  const clustersOnly = (option: string, given: unknown) => {
    if (opts.heatmap && given !== undefined) throw new UsageError(`${option}: applies to the clusters, not to --heatmap`);
  };
  clustersOnly('--at', opts.at);
  for (const flag of givenClusterFlags(opts)) clustersOnly(flag, true);
  if (!opts.heatmap && opts.timeframe !== undefined) throw new UsageError('--timeframe: only with --heatmap (the heatmap bucket length)');
  if (!opts.heatmap && opts.top !== undefined) throw new UsageError('--top: only with --heatmap (the number of cells listed)');
  const cluster = parseClusterOpts(opts);
  const atMs = opts.at === undefined ? undefined : parseTime(opts.at, '--at');
  const timeframeMs = opts.timeframe === undefined ? HOUR_MS : parseTimeframe(opts.timeframe);
  const top = opts.top === undefined ? 20 : numberOpt(opts.top, '--top', 'a whole number >= 1');
  if (!(Number.isInteger(top) && top >= 1)) throw new UsageError(`--top: expected a whole number >= 1, got ${JSON.stringify(opts.top)}`);
  return { cluster, atMs, timeframeMs, top };
}

/** Bins as JSON: `{"bps":10}` or `{"tick":0.1,"bin_ticks":10}`. */
function binsJson(bins: LiquidationBins): Record<string, number> {
  return 'bps' in bins ? { bps: bins.bps } : { tick: bins.tick, bin_ticks: bins.binTicks ?? 1 };
}

function priceFormat(bins: LiquidationBins): (x: number) => string {
  if ('bps' in bins) return (x) => String(Number(x.toPrecision(7)));
  const dec = decimalsOf(bins.tick);
  return (x) => x.toFixed(dec);
}

/**
 * Liquidation clusters (or, with `heatmap`, the time x price heatmap) of the stored
 * liquidations of `symbol` on `venues`, merged: a table with a reminder that the feeds are
 * sampled, or with `json` the snapshot `{"ts","bins","half_life_ms","threshold_long",
 * "threshold_short","clusters","longs","shorts"}` / the heatmap `{"timeframe_ms","bins",
 * "bucket_starts","bin_indexes","bin_prices","long","short","clipped_cells"}` (long and short:
 * one array of bin notionals per bucket). NaN is written as null.
 */
async function runLiquidations(opts: LiquidationsOpts): Promise<void> {
  const c = checkOpts(opts);
  const q = marketQuery(opts);
  const what = q.pairs.map(([v, s]) => `${v} ${s}`).join(', ');
  const store = await Store.open(existingHome(opts), { readOnly: true });
  let liqs: LiquidationColumns;
  let bins: LiquidationBins;
  let snapshot: LiquidationSnapshot | undefined;
  let heat: LiquidationHeatmap | undefined;
  try {
    await confirmMarketQuery(store, q);
    liqs = await readLiquidations(store, q);
    const seen = new Set<number>();
    for (let i = 0; i < liqs.length; i++) seen.add(liqs.venue[i]);
    const markets = q.pairs.filter(([v]) => seen.has(liqs.venues.indexOf(v)));
    bins = binsOf(opts, markets);
    if (liqs.length > 0) {
      if (opts.heatmap) {
        try {
          heat = liquidationHeatmap(liqs, { timeframeMs: c.timeframeMs, bins, fromMs: q.fromMs, toMs: q.toMs });
        } catch (e) {
          if (e instanceof RangeError && /maxCells/.test(e.message)) throw new UsageError(`--heatmap: ${e.message.replace(/^liquidations: /, '')} (--from/--to, --bps/--bin-ticks, --timeframe)`);
          throw e;
        }
      } else {
        snapshot = await snapshotAt(store, q, liqs, c.atMs, { bins, ...c.cluster });
      }
    }
  } finally {
    store.close();
  }
  const none = `no liquidations stored for ${what}${q.fromMs !== undefined || q.toMs !== undefined ? ' in that time range' : ''}${c.atMs !== undefined && liqs.length > 0 ? ` at or before ${isoTime(c.atMs)}` : ''}`;
  if (opts.json) {
    console.error(SAMPLED_NOTE);
    if (opts.heatmap) {
      const h = heat;
      const rowsOf = (m: Float64Array | undefined) => (h && m ? Array.from({ length: h.rows }, (_, r) => Array.from(m.subarray(r * h.cols, (r + 1) * h.cols))) : []);
      console.log(
        JSON.stringify({
          timeframe_ms: c.timeframeMs,
          bins: binsJson(bins),
          bucket_starts: h ? Array.from(h.bucket_starts) : [],
          bin_indexes: h ? Array.from(h.bin_indexes) : [],
          bin_prices: h ? Array.from(h.bin_prices) : [],
          long: rowsOf(h?.long),
          short: rowsOf(h?.short),
          clipped_cells: h?.clipped_cells ?? 0,
        }),
      );
    } else {
      const s = snapshot;
      console.log(
        JSON.stringify({
          ts: s?.ts ?? null,
          bins: binsJson(bins),
          half_life_ms: c.cluster.halfLifeMs,
          rule: c.cluster,
          typical_notional: s?.typical_notional ?? null,
          floor: s?.floor ?? null,
          cluster_floor: s?.cluster_floor ?? null,
          clusters: s?.clusters ?? [],
          longs: s?.longs ?? [],
          shorts: s?.shorts ?? [],
        }),
      );
    }
    return;
  }
  if ((opts.heatmap && !heat) || (!opts.heatmap && !snapshot)) {
    console.log(none);
    return;
  }
  // Prices on the instrument's tick where the registry knows it; else as the bins give them.
  const precision = precisionOf(q.registry, q.pairs);
  const px = precision.tick > 0 ? formatters(precision).price : priceFormat(bins);
  const binText = 'bps' in bins ? `${bins.bps} bps bins` : `bins of ${bins.binTicks} x tick ${bins.tick}`;
  if (heat) {
    const cells = heatmapCells(heat);
    const shown = cells.slice(0, c.top);
    console.log(wrap(`REALIZED liquidation heatmap of ${what}: ${heat.rows} buckets of ${timeframeText(c.timeframeMs)} x ${heat.cols} price bins (${binText})`));
    console.log(`liquidations that happened (predicted levels from open interest: orderflow levels --heatmap)`);
    console.log(`${cells.length} non-empty cells; the ${shown.length} largest:`);
    console.log(SAMPLED_NOTE);
    console.log('');
    console.log(
      table(
        ['bucket (UTC)', 'liquidated', 'price', 'notional'],
        shown.map(([r, k, side, v]) => [isoTime(heat.bucket_starts[r]), side, px(heat.bin_prices[k]), notionalText(v)]),
      ),
    );
    return;
  }
  const s = snapshot!;
  const nLong = s.clusters.filter((x) => x.side === 'long').length;
  console.log(
    wrap(
      `liquidation clusters of ${what} at ${isoTime(s.ts)}: ${nLong} long, ${s.clusters.length - nLong} short (${binText}, half-life ${opts.halfLife ?? '4h'}, ` +
        `typical liquidation ${notionalText(s.typical_notional)}: hot bins >= ${notionalText(s.floor)} and ${c.cluster.medianMultiple}x their window, clusters >= ${notionalText(s.cluster_floor)}; ${s.longs.length} long and ${s.shorts.length} short live bins)`,
    ),
  );
  console.log(SAMPLED_NOTE);
  if (s.clusters.length === 0) {
    console.log('\nno clusters (no run of hot bins reaches the cluster floor; --median-multiple 0 --bin-multiple 0 --cluster-multiple 0 lists every live bin)');
    return;
  }
  console.log('');
  console.log(
    fitTable(
      ['liquidated', 'low', 'high', 'peak', 'notional', 'intensity', 'count', 'venues', 'first (UTC)', 'last (UTC)', 'revisited'],
      s.clusters.map((x) => [
        x.side, px(x.low), px(x.high), px(x.peak), notionalText(x.notional), notionalText(x.intensity), String(x.count), x.venues.join(','),
        isoTime(x.first_ts), isoTime(x.last_ts), x.revisited ? `yes ${isoTime(x.last_touch_ts)}` : 'no',
      ]),
      { drop: ['first (UTC)', 'intensity', 'count', 'venues', 'peak'], wide: opts.wide },
    ),
  );
}

export function registerLiquidations(program: Command): void {
  homeOption(
    clusterOptions(
      marketOptions(program
        .command('liquidations')
        .description('realized liquidation clusters (price zones of decayed liquidated notional, per side liquidated) or a time x price heatmap'))
        .option('--bps <b>', `log-price bins of b basis points (default ${DEFAULT_BPS} unless --bin-ticks)`)
        .option('--bin-ticks <n>', 'price bins of n ticks instead (tick from the instrument registry, or --tick)')
        .option('--tick <size>', 'tick size for --bin-ticks (default from the instrument)'),
      'clusters: ',
    )
      .option('--at <time>', 'clusters: snapshot time (default the last liquidation or trade read)')
      .option('--heatmap', 'the REALIZED heatmap: time x price of liquidated notional (liquidations that happened), instead of clusters; `levels --heatmap` is the predicted one')
      .option('--timeframe <tf>', 'heatmap: bucket length (default 1h)')
      .option('--top <n>', 'heatmap table: the n largest cells (default 20)')
      .option('--wide', 'print every table column (default: fit 120 columns)')
      .option('--json', 'print the snapshot {"ts","clusters":[...],"longs","shorts",...} or the heatmap {"bucket_starts","bin_prices","long":[[...]],"short":[[...]]} for scripts'),
  )
    .addHelpText(
      'after',
      `
"long" = longs liquidated (forced sells), "short" = shorts liquidated (forced buys). Each bin's
intensity is its liquidated notional decayed by the half-life. A bin is hot when it exceeds
--median-multiple times its background (the busier median of the --window-bins bins below and
above it, empty bins counting as zero) by --bin-multiple typical liquidations (the decayed mean
liquidation notional of the market); hot bins with at most one bin between them form a run, and
a run holding --cluster-multiple typical liquidations is a cluster (one very heavy bin is
enough). "revisited" = a trade printed in the cluster after its last liquidation (trades of the
same market are read for this). The heatmap is REALIZED (liquidations that happened) and not
decayed; Coinglass's "liquidation heatmap" is the predicted kind, here \`orderflow levels
--heatmap\` (from open interest). Liquidation feeds are sampled (docs/NORMALIZATION.md): counts
and notionals are lower bounds. Definitions and a worked example: docs/FEATURES.md.

Examples:
  $ orderflow liquidations --symbol BTC
  $ orderflow liquidations --symbol BTCUSDT --venues binance,bybit --bps 5 --half-life 1h --at 2024-08-05T12:00:00Z
  $ orderflow liquidations --symbol ETH --bin-ticks 100 --median-multiple 0 --bin-multiple 0 --cluster-multiple 0 --json | jq '.clusters[]'
  $ orderflow liquidations --symbol BTC --heatmap --timeframe 1h --from 2024-08-01 --to 2024-08-08 --json > heat.json`,
    )
    .action((opts: LiquidationsOpts) => runLiquidations(opts));
}
