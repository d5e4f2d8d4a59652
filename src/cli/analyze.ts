/**
 * `orderflow analyze`: every order-flow operator over one market's stored history in a single
 * pass over its trades, a summary table on the terminal, and each operator's full output as
 * JSON and Parquet in a folder.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CvdOperator, type CvdBar } from '../features/cvd.ts';
import { DivergenceOperator, type DivergenceEvent } from '../features/divergence.ts';
import { FootprintOperator, footprintJson, type FootprintCandle } from '../features/footprint.ts';
import type { LiquidationSnapshot } from '../features/liquidations.ts';
import type { TradeOperator } from '../features/operator.ts';
import { SessionStatsOperator, type SessionStats } from '../features/sessions.ts';
import { SizeFlowOperator, type SizeBar } from '../features/sizes.ts';
import { DAY_MS, HOUR_MS, MINUTE_MS, parseTimeframe } from '../features/timeframe.ts';
import { CrossVenueOperator, type CrossVenueWindow } from '../features/venues.ts';
import { readLiquidations } from '../store/liquidation-reader.ts';
import { sqlString } from '../store/parquet.ts';
import { Store } from '../store/store.ts';
import { streamTrades } from '../store/trade-reader.ts';
import { existingHome, homeOption, type HomeOpts } from './common.ts';
import { marketQuery, qtyText } from './cvd.ts';
import { registryTick, storedMarkets } from './footprint-native.ts';
import { DEFAULT_BPS, SAMPLED_NOTE, snapshotAt } from './liquidations.ts';
import { isoTime, table } from './progress.ts';

interface AnalyzeOpts extends HomeOpts {
  symbol: string;
  venues?: string;
  from?: string;
  to?: string;
  out?: string;
  footprintTimeframe: string;
  levelTicks: string;
}


export function registerAnalyze(program: Command): void {
  homeOption(
    program
      .command('analyze')
      .description("run every order-flow operator over a market's stored history: summary table + JSON/Parquet outputs")
      .requiredOption('--symbol <symbol>', 'a venue-native symbol or a base asset (the perpetual on every venue)')
      .option('--venues <list>', 'comma-separated venues, merged (default binance,okx,bybit)')
      .option('--from <time>', 'from this time, inclusive')
      .option('--to <time>', 'up to this time, exclusive')
      .option('--out <dir>', 'output folder (default <home>/analysis/<symbol>-<time>)')
      .option('--footprint-timeframe <tf>', 'footprint candle length', '1h')
      .option('--level-ticks <n>', 'footprint level height in ticks', '10'),
  )
    .addHelpText(
      'after',
      `
Operators (definitions: docs/FEATURES.md): CVD 15m/1h/1d, footprint, size-weighted flow 1h,
sessions, delta divergence 15m/1h/1d, cross-venue corroboration 5m, liquidation clusters at the
end of the range. Outputs: <out>/<operator>.json (and .parquet where the rows are flat enough for
DuckDB to infer a schema).

Examples:
  $ orderflow analyze --symbol BTC
  $ orderflow analyze --symbol AKT --from 2024-11-01 --to 2024-11-15 --out ./akt-analysis`,
    )
    .action(async (opts: AnalyzeOpts) => {
      const q = marketQuery(opts);
      const fpTf = parseTimeframe(opts.footprintTimeframe, '--footprint-timeframe');
      const levelTicks = Number(opts.levelTicks);
      const home = existingHome(opts);
      const store = await Store.open(home, { readOnly: true });
      const outputs: Record<string, unknown[]> = {};
      const collect = <T>(name: string) => {
        const list: T[] = [];
        outputs[name] = list;
        return (x: T) => list.push(x);
      };
      const ops: TradeOperator[] = [
        new CvdOperator({ timeframeMs: 15 * MINUTE_MS }, collect<CvdBar>('cvd_15m')),
        new CvdOperator({ timeframeMs: HOUR_MS }, collect<CvdBar>('cvd_1h')),
        new CvdOperator({ timeframeMs: DAY_MS }, collect<CvdBar>('cvd_1d')),
        new SizeFlowOperator({ timeframeMs: HOUR_MS }, collect<SizeBar>('sizes_1h')),
        new SessionStatsOperator({}, collect<SessionStats>('sessions')),
        new DivergenceOperator({}, collect<DivergenceEvent>('divergence')),
        new CrossVenueOperator({}, collect<CrossVenueWindow>('venues_5m')),
      ];
      let footprintNote = '';
      const stored = await storedMarkets(store, q.pairs);
      try {
        const tick = registryTick(stored);
        ops.push(new FootprintOperator({ timeframeMs: fpTf, tick, levelTicks }, collect<FootprintCandle>('footprint')));
      } catch (e) {
        footprintNote = `footprint skipped: ${(e as Error).message}`;
      }
      let trades = 0;
      let liquidation: LiquidationSnapshot | undefined;
      try {
        for await (const chunk of streamTrades(store, q)) {
          trades += chunk.length;
          for (const op of ops) op.push(chunk);
        }
        for (const op of ops) op.flush();
        const liqs = await readLiquidations(store, q);
        liquidation = liqs.length > 0 ? await snapshotAt(store, q, liqs, q.toMs, { bins: { bps: DEFAULT_BPS } }) : undefined;
        if (liquidation) outputs.liquidation_clusters = [...liquidation.clusters];
        if (outputs.footprint) outputs.footprint = (outputs.footprint as FootprintCandle[]).map(footprintJson);
      } finally {
        store.close();
      }
      const what = q.pairs.map(([v, s]) => `${v} ${s}`).join(', ');
      if (trades === 0 && !liquidation) {
        console.log(`nothing stored for ${what}${q.fromMs !== undefined || q.toMs !== undefined ? ' in that time range' : ''}`);
        return;
      }
      const out = resolve(opts.out ?? join(home, 'analysis', `${opts.symbol.toUpperCase()}-${new Date().toISOString().replace(/[:.]/g, '-')}`));
      mkdirSync(out, { recursive: true });
      const written = await writeOutputs(out, outputs);
      printSummary(what, trades, outputs, liquidation);
      if (footprintNote) console.log(`\n${footprintNote}`);
      if (liquidation) console.log(`\n${SAMPLED_NOTE}`);
      console.log(`\noutputs in ${out}: ${written.join(', ')}`);
    });
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

function printSummary(what: string, trades: number, o: Record<string, unknown[]>, liq: LiquidationSnapshot | undefined): void {
  const rows: string[][] = [];
  for (const tf of ['15m', '1h', '1d']) {
    const bars = o[`cvd_${tf}`] as CvdBar[];
    rows.push([`cvd ${tf}`, String(bars.length), bars.length ? `cvd ${qtyText(bars[bars.length - 1].cvd)}` : '-']);
  }
  const fp = o.footprint as Record<string, number>[] | undefined;
  if (fp) rows.push(['footprint', String(fp.length), fp.length ? `last POC ${fp[fp.length - 1].poc}, VA ${fp[fp.length - 1].val}-${fp[fp.length - 1].vah}` : '-']);
  const sizes = o.sizes_1h as SizeBar[];
  const wd = sizes.reduce((s, b) => s + b.weighted_delta_notional, 0);
  rows.push(['sizes 1h', String(sizes.length), `weighted delta ${wd.toFixed(0)} (quote)`]);
  const sessions = o.sessions as SessionStats[];
  const byName = new Map<string, number>();
  for (const s of sessions) byName.set(s.session, (byName.get(s.session) ?? 0) + s.volume);
  rows.push(['sessions', String(sessions.length), [...byName].map(([n, v]) => `${n} ${qtyText(v)}`).join(', ') || '-']);
  const div = o.divergence as DivergenceEvent[];
  const up = div.filter((d) => d.direction === 'buy_flow_no_rise').length;
  rows.push(['divergence', String(div.length), `buy flow, no rise ${up}; sell flow, no fall ${div.length - up}`]);
  const win = o.venues_5m as CrossVenueWindow[];
  const multi = win.filter((w) => w.venues.filter((v) => v.material).length > 1);
  rows.push(['venues 5m', String(win.length), `${multi.length} with 2+ venues, ${multi.filter((w) => w.disagree).length} disagree`]);
  if (liq) {
    const longs = liq.clusters.filter((c) => c.side === 'long').length;
    rows.push(['liquidations', String(liq.clusters.length), `clusters: longs ${longs}, shorts ${liq.clusters.length - longs} at ${isoTime(liq.ts)}`]);
  } else rows.push(['liquidations', '0', 'no liquidations stored']);
  console.log(`analysis of ${what}: ${trades} trades\n`);
  console.log(table(['operator', 'outputs', 'summary'], rows));
}
