/**
 * `orderflow analyze`: every order-flow operator over one market's stored history in a single
 * pass over its trades, a summary table on the terminal, and each operator's full output as
 * JSON and Parquet in a folder.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { Venue } from '../core/events.ts';
import { FeaturePipeline, PIPELINE_OUTPUTS, type PredictedCheck } from '../engine/pipeline.ts';
import { replay } from '../engine/replay.ts';
import type { AbsorptionEvent } from '../features/absorption.ts';
import { bookBait, type WallEvent } from '../features/book.ts';
import type { CvdBar } from '../features/cvd.ts';
import type { DivergenceEvent } from '../features/divergence.ts';
import { footprintJson, type FootprintCandle } from '../features/footprint.ts';
import type { LiquidationSnapshot } from '../features/liquidations.ts';
import type { PredictedLiquidationSnapshot } from '../features/predicted-liquidations.ts';
import type { SessionStats } from '../features/sessions.ts';
import type { SizeBar } from '../features/sizes.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, parseTimeframe } from '../features/timeframe.ts';
import { dataSpan, markComplete, TradeSpan, type DataSpan } from '../features/complete.ts';
import { wrap } from './table.ts';
import type { CrossVenueWindow } from '../features/venues.ts';
import { readLiquidations } from '../store/liquidation-reader.ts';
import { sqlString } from '../store/parquet.ts';
import { resolveHome, Store } from '../store/store.ts';
import { readOpenInterest } from '../store/ticker-reader.ts';
import { streamTrades } from '../store/trade-reader.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';
import { confirmMarketQuery, type MarketQuery, registryTick, storedMarkets } from '../query/market.ts';
import { venueBooks } from '../query/venue-books.ts';
import { existingHome, homeOption, marketOptions, lakeOption, openReadSource, type LakeOpts } from './common.ts';
import { isoTime, qtyText, SAMPLED_NOTE, table } from './format.ts';
import { DEFAULT_BPS, marketQuery, numberOpt } from './options.ts';
import { clusterOptions, parseClusterOpts, type ClusterOpts } from './cluster-options.ts';

interface AnalyzeOpts extends LakeOpts, ClusterOpts {
  symbol: string;
  venues?: string;
  from?: string;
  to?: string;
  out?: string;
  footprintTimeframe: string;
  levelTicks: string;
  bps: string;
  zonesEvery: string;
  lookback: string;
}


export function registerAnalyze(program: Command): void {
  lakeOption(homeOption(
    clusterOptions(
      marketOptions(program
        .command('analyze')
        .description("run every order-flow operator over a market's stored history: summary table + JSON/Parquet outputs"))
        .option('--out <dir>', 'output folder (default <home>/analysis/<symbol>-<time>)')
        .option('--footprint-timeframe <tf>', 'footprint candle length', '1h')
        .option('--level-ticks <n>', 'footprint level height in ticks', '10')
        .option('--bps <width>', 'liquidation cluster / predicted level bin width in basis points', String(DEFAULT_BPS))
        .option('--zones-every <tf>', 'how often the absorption zones are re-snapshotted from the clusters and predicted levels', '1h')
        .option('--lookback <windows>', "past 1m windows in absorption's typical-volume median (also the warm-up)", '60'),
      'clusters: ',
    ),
  ))
    .addHelpText(
      'after',
      `
Operators (definitions: docs/FEATURES.md), all in one pass over the merged events: CVD
15m/1h/1d, footprint, size-weighted flow 1h, sessions, delta divergence, cross-venue
corroboration 5m, liquidation clusters and predicted liquidation levels (at the end of the
range), absorption at rolling zones (every --zones-every, the clusters and predicted levels of
the events before it; each event says its kind: cascade-stop or revisit), book and bait per venue with a stored book. predicted_check scores the
predicted zones against the liquidations that followed them, beside what chance would score.
Outputs: <out>/<operator>.json (and .parquet where the rows are flat enough for DuckDB to infer a
schema).

Examples:
  $ orderflow analyze --symbol BTC
  $ orderflow analyze --symbol AKT --from 2024-11-01 --to 2024-11-15 --out ./akt-analysis
  $ orderflow analyze --symbol BTC --lake s3://desk-lake/orderflow --from 2024-11-01 --to 2024-11-02`,
    )
    .action(async (opts: AnalyzeOpts) => {
      const q = marketQuery(opts);
      const fpTf = parseTimeframe(opts.footprintTimeframe, '--footprint-timeframe');
      const zonesEvery = parseTimeframe(opts.zonesEvery, '--zones-every');
      const levelTicks = numberOpt(opts.levelTicks, '--level-ticks');
      const bins = { bps: numberOpt(opts.bps, '--bps') };
      const clusters = parseClusterOpts(opts);
      // With --lake the home only holds the default output folder.
      const home = opts.lake ? resolveHome(opts.home) : existingHome(opts);
      const store = await openReadSource(opts, q);
      // Every operator's file is written, empty or not, so scripts can rely on it.
      const outputs: Record<string, unknown[]> = Object.fromEntries(PIPELINE_OUTPUTS.map((n) => [n, []]));
      const push = (name: string, x: unknown) => (outputs[name] ??= []).push(x);
      let footprintNote = '';
      let trades = 0;
      let liquidation: LiquidationSnapshot | undefined;
      let predicted: PredictedLiquidationSnapshot | undefined;
      let check: PredictedCheck | undefined;
      let books: BookSummary[] = [];
      const span = new TradeSpan();
      try {
        await confirmMarketQuery(store, q);
        const stored = await storedMarkets(store, q.pairs);
        let footprint;
        try {
          // No market with trades: no footprint, and nothing to take a tick from.
          if (stored.length > 0) footprint = { timeframeMs: fpTf, tick: registryTick(stored), levelTicks };
        } catch (e) {
          footprintNote = `footprint skipped: ${(e as Error).message}`;
          delete outputs.footprint;
        }
        const liqs = await readLiquidations(store, q);
        const oi = await readOpenInterest(store, q);
        const pipeline = new FeaturePipeline(
          { bins, clusters, footprint, withOpenInterest: oi.length > 0, instruments: loadBundledInstruments(), absorptionLookback: numberOpt(opts.lookback, '--lookback') },
          (name, x) => push(name, x),
        );
        const counted = (async function* () {
          for await (const chunk of streamTrades(store, q)) {
            trades += chunk.length;
            span.push(chunk);
            yield chunk;
          }
        })();
        for await (const run of replay({ trades: counted, liquidations: liqs, openInterest: oi, timerEveryMs: zonesEvery })) pipeline.push(run);
        pipeline.flush();
        if (liqs.length > 0) {
          liquidation = pipeline.liquidationSnapshot();
          outputs.liquidation_clusters = [...liquidation.clusters];
        }
        predicted = pipeline.predictedSnapshot();
        if (predicted) {
          outputs.predicted_levels = [...predicted.longs.map((l) => ({ side: 'long', ...l })), ...predicted.shorts.map((l) => ({ side: 'short', ...l }))];
          check = pipeline.predictedCheck();
          outputs.predicted_check = [check];
        }
        books = await bookPass(store, q, stored, push);
        if (outputs.footprint) outputs.footprint = (outputs.footprint as FootprintCandle[]).map(footprintJson);
        markBars(outputs, fpTf, dataSpan(q, span));
      } finally {
        store.close();
      }
      const what = q.pairs.map(([v, s]) => `${v} ${s}`).join(', ');
      if (trades === 0 && !liquidation) {
        console.log(`no trades and no liquidations stored for ${what}${q.fromMs !== undefined || q.toMs !== undefined ? ' in that time range' : ''}: nothing to analyze (orderflow info lists what is stored)`);
        return;
      }
      const out = resolve(opts.out ?? join(home, 'analysis', `${opts.symbol.toUpperCase()}-${new Date().toISOString().replace(/[:.]/g, '-')}`));
      mkdirSync(out, { recursive: true });
      const written = await writeOutputs(out, outputs);
      printSummary(what, trades, outputs, liquidation, predicted, check, books);
      if (footprintNote) console.log(`\n${wrap(footprintNote)}`);
      if (liquidation) console.log(`\n${SAMPLED_NOTE}`);
      console.log(`\n${wrap(`outputs in ${out}: ${written.join(', ')}`)}`);
    });
}

/** Each bar-like output with `complete` (false for a bar the data cut off; src/features/complete.ts). */
function markBars(outputs: Record<string, unknown[]>, footprintMs: number, span: DataSpan): void {
  type Row = Record<string, number>;
  const periods: Record<string, (r: Row) => readonly [number, number]> = {
    cvd_15m: (r) => [r.open_time_ms, r.open_time_ms + 15 * MINUTE_MS],
    cvd_1h: (r) => [r.open_time_ms, r.open_time_ms + HOUR_MS],
    cvd_1d: (r) => [r.open_time_ms, r.open_time_ms + DAY_MS],
    sizes_1h: (r) => [r.open_time_ms, r.open_time_ms + HOUR_MS],
    footprint: (r) => [r.open_time_ms, r.open_time_ms + footprintMs],
    sessions: (r) => [r.start_ms, r.end_ms],
    venues_5m: (r) => [r.window_start, r.ts],
  };
  for (const [name, period] of Object.entries(periods)) {
    if (outputs[name]) outputs[name] = markComplete(outputs[name] as Row[], period, span);
  }
}

interface BookSummary {
  readonly venue: Venue;
  readonly symbol: string;
  readonly messages: number;
  readonly walls: readonly WallEvent[];
  readonly meanImbalance: number;
}

/** Book and bait per venue that has a stored book in the range (each venue's book is its own). */
async function bookPass(store: Store, q: MarketQuery, stored: readonly [Venue, string][], push: (name: string, x: unknown) => void): Promise<BookSummary[]> {
  const out: BookSummary[] = [];
  const hasTrades = (venue: Venue, symbol: string) => stored.some(([v, s]) => v === venue && s === symbol);
  for await (const { venue, symbol, book, tick, trades } of venueBooks(store, q.pairs, q.fromMs, q.toMs, hasTrades)) {
    const r = bookBait(book, trades, { tick, imbalanceBucketMs: MINUTE_MS });
    for (const w of r.walls) push('book_walls', { venue, symbol, ...w });
    for (const s of r.imbalance) push('book_imbalance_1m', { venue, symbol, ...s });
    const imb = r.imbalance.map((s) => s.imbalance).filter(Number.isFinite);
    out.push({ venue, symbol, messages: book.length, walls: r.walls, meanImbalance: imb.length ? imb.reduce((a, b) => a + b, 0) / imb.length : NaN });
  }
  return out;
}

/** Each output as JSON, and as Parquet (through an in-memory DuckDB) when its rows allow. */
async function writeOutputs(dir: string, outputs: Record<string, unknown[]>): Promise<string[]> {
  const written: string[] = [];
  const mem = await Store.openMemory();
  try {
    for (const [name, rows] of Object.entries(outputs)) {
      const file = join(dir, `${name}.json`);
      // JSON.stringify writes NaN and infinities as null.
      writeFileSync(file, `[${rows.map((r) => JSON.stringify(r)).join(',\n')}]\n`);
      written.push(`${name}.json`);
      if (rows.length === 0) continue;
      try {
        await mem.run(`COPY (SELECT * FROM read_json(${sqlString(file)}, format = 'array')) TO ${sqlString(join(dir, `${name}.parquet`))} (FORMAT parquet, COMPRESSION zstd)`);
        written.push(`${name}.parquet`);
      } catch {
        // Mixed-type arrays (footprint levels) have no Parquet schema DuckDB can infer: JSON only.
      }
    }
  } finally {
    mem.close();
  }
  return written;
}

function printSummary(
  what: string,
  trades: number,
  o: Record<string, unknown[]>,
  liq: LiquidationSnapshot | undefined,
  predicted: PredictedLiquidationSnapshot | undefined,
  check: PredictedCheck | undefined,
  books: readonly BookSummary[],
): void {
  const list = <T>(name: string) => (o[name] ?? []) as T[];
  const rows: string[][] = [];
  for (const tf of ['15m', '1h', '1d']) {
    const bars = list<CvdBar>(`cvd_${tf}`);
    rows.push([`cvd ${tf}`, String(bars.length), bars.length ? `cvd ${qtyText(bars[bars.length - 1].cvd)}` : '-']);
  }
  const fp = o.footprint as Record<string, number>[] | undefined;
  if (fp) rows.push(['footprint', String(fp.length), fp.length ? `last POC ${fp[fp.length - 1].poc}, VA ${fp[fp.length - 1].val}-${fp[fp.length - 1].vah}` : '-']);
  const sizes = list<SizeBar>('sizes_1h');
  const wd = sizes.reduce((s, b) => s + b.weighted_delta_notional, 0);
  rows.push(['sizes 1h', String(sizes.length), `weighted delta ${wd.toFixed(0)} (quote)`]);
  const sessions = list<SessionStats>('sessions');
  const byName = new Map<string, number>();
  for (const s of sessions) byName.set(s.session, (byName.get(s.session) ?? 0) + s.volume);
  rows.push(['sessions', String(sessions.length), [...byName].map(([n, v]) => `${n} ${qtyText(v)}`).join(', ') || '-']);
  const div = list<DivergenceEvent>('divergence');
  const up = div.filter((d) => d.direction === 'buy_flow_no_rise').length;
  rows.push(['divergence', String(div.length), `buy flow, no rise ${up}; sell flow, no fall ${div.length - up}`]);
  const win = list<CrossVenueWindow>('venues_5m');
  const multi = win.filter((w) => w.venues.filter((v) => v.material).length > 1);
  rows.push(['venues 5m', String(win.length), `${multi.length} with 2+ venues, ${multi.filter((w) => w.disagree).length} disagree`]);
  if (liq) {
    const longs = liq.clusters.filter((c) => c.side === 'long').length;
    rows.push(['liquidations', String(liq.clusters.length), `clusters: longs ${longs}, shorts ${liq.clusters.length - longs} at ${isoTime(liq.ts)}`]);
  } else rows.push(['liquidations', '0', 'no liquidations stored']);
  if (predicted) {
    const n = predicted.longs.length + predicted.shorts.length;
    const vs = check && check.liquidations > 0 ? `; ${(100 * check.hit_share).toFixed(1)}% of the ${check.liquidations} later liquidations' notional in a predicted zone (chance ${(100 * check.chance).toFixed(1)}%)` : '';
    rows.push(['predicted', String(n), `longs ${predicted.long_notional.toFixed(0)}, shorts ${predicted.short_notional.toFixed(0)} (quote)${vs}`]);
  } else rows.push(['predicted', '0', 'no open interest stored (import tickers or metrics)']);
  const abs = list<AbsorptionEvent>('absorption');
  const bull = abs.filter((e) => e.direction === 'buyers_absorb').length;
  const stops = abs.filter((e) => e.kind === 'cascade-stop').length;
  rows.push(['absorption', String(abs.length), `cascade-stop ${stops}, revisit ${abs.length - stops}; buyers absorb ${bull}, sellers absorb ${abs.length - bull} (${list('zones').length} zone changes)`]);
  if (books.length === 0) rows.push(['book', '0', 'no book stored']);
  for (const b of books) {
    const n = (x: string) => b.walls.filter((w) => w.outcome === x).length;
    rows.push([`book ${b.venue}`, String(b.walls.length), `walls bait ${n('bait')}, pulled ${n('pulled')}, consumed ${n('consumed')}, resting ${n('resting')}; mean imbalance ${Number.isFinite(b.meanImbalance) ? b.meanImbalance.toFixed(3) : '-'}`]);
  }
  console.log(`analysis of ${what}: ${trades} trades\n`);
  console.log(table(['operator', 'outputs', 'summary'], rows));
}
