import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { FileError, ParseError } from '../core/errors.ts';
import { marginReport } from '../core/margin.ts';
import { cvdBatch } from '../features/cvd.ts';
import { decimalsOf, footprintBatch } from '../features/footprint.ts';
import { footprintStacks } from '../features/footprint-ladder.ts';
import { stackText } from '../report/footprint-ladder.ts';
import { importPaths } from '../store/import-paths.ts';
import { importFile } from '../store/importer.ts';
import { saveInstruments } from '../store/instruments-table.ts';
import { Store } from '../store/store.ts';
import { summarize } from '../store/summary.ts';
import { readTrades } from '../store/trade-reader.ts';
import { allFormats } from '../venues/formats.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';
import { homeOption, onPath, resolveHomeOpt, selfCommand, type HomeOpts } from './common.ts';
import { isoTime, table } from './format.ts';

/** Real market data shipped with orderflow (see samples/README.md for each file's source). */
const SAMPLES_DIR = fileURLToPath(new URL('../../samples/', import.meta.url));

export function registerDemo(program: Command): void {
  homeOption(
    program
      .command('demo')
      .description('offline demo: import the bundled real samples (Binance, Bybit, OKX, Tardis) and summarize them'),
  )
    .addHelpText('after', `\nRuns with no network. Re-running shows that imports are idempotent.\n\nExample:\n  $ orderflow demo --home /tmp/of-demo && orderflow info --home /tmp/of-demo`)
    .action(async (opts: HomeOpts) => {
      const home = resolveHomeOpt(opts);
      const store = await Store.open(home);
      const formats = allFormats();
      const instruments = loadBundledInstruments();
      await saveInstruments(store, instruments);
      let failed = 0;
      try {
        console.log(`importing the bundled samples from ${SAMPLES_DIR} into ${store.path}\n`);
        const rows: string[][] = [];
        for (const file of (await importPaths([SAMPLES_DIR], formats)).files) {
          try {
            const r = await importFile(store, file, { formats, instruments });
            rows.push([file.slice(SAMPLES_DIR.length), r.format, r.status === 'imported' ? String(r.rows) : 'already imported']);
          } catch (e) {
            if (!(e instanceof FileError || e instanceof ParseError)) throw e;
            failed++;
            rows.push([file.slice(SAMPLES_DIR.length), 'FAILED', e.message]);
          }
        }
        console.log(table(['sample', 'format', 'rows added'], rows));
        const s = await summarize(store, 300_000);
        console.log(`\nthe store now holds (${s.imports} files imported):\n`);
        console.log(table(
          ['venue', 'symbol', 'type', 'count', 'first (UTC)', 'last (UTC)'],
          s.datasets.map((d) => [d.venue, d.symbol, d.type, String(d.count), isoTime(d.first_ts), isoTime(d.last_ts)]),
        ));
        const trades = await store.rows<{ venue: string; symbol: string; n: bigint; buy: number; sell: number; vwap: number }>(
          `SELECT venue::VARCHAR AS venue, symbol, count(*) AS n,
                  sum(qty) FILTER (WHERE side = 'buy') AS buy, sum(qty) FILTER (WHERE side = 'sell') AS sell,
                  sum(price * qty) / sum(qty) AS vwap
           FROM trades GROUP BY ALL ORDER BY n DESC`,
        );
        console.log('\naggressive flow per market (buy = taker bought, sell = taker sold; base units):\n');
        console.log(table(
          ['venue', 'symbol', 'trades', 'buy qty', 'sell qty', 'delta', 'vwap'],
          trades.map((t) => [t.venue, t.symbol, String(t.n), fmt(t.buy), fmt(t.sell), fmt((t.buy ?? 0) - (t.sell ?? 0)), fmt(t.vwap)]),
        ));
        const last = await footprintTaste(store);
        if (last !== undefined) riskTaste(last);
        const self = selfCommand();
        const next = [`${self} info --home ${home}`, `${self} analyze --symbol BTC --home ${home}`, `${self} backtest --symbol BTC --home ${home}`];
        if (onPath('duckdb')) next.push(`duckdb -readonly ${store.path}`);
        console.log(`\nnext: ${next.join('   |   ')}`);
      } finally {
        store.close();
      }
      if (failed > 0) process.exitCode = 1;
    });
}

/**
 * A taste of the order-flow operators on the real Binance BTCUSDT capture: 10-second footprint
 * candles (10-tick levels) with their delta, POC and stacked imbalances, and the running CVD.
 */
async function footprintTaste(store: Store): Promise<number | undefined> {
  const trades = await readTrades(store, { venues: ['binance'], symbols: ['BTCUSDT'], fromMs: Date.UTC(2024, 7, 8), toMs: Date.UTC(2024, 7, 9) });
  if (trades.length === 0) return undefined;
  const candles = footprintBatch(trades, { timeframeMs: 10_000, tick: 0.1, levelTicks: 10 });
  const cvd = cvdBatch(trades, { timeframeMs: 10_000 });
  console.log(`\nfootprint of binance BTCUSDT, 10s candles, levels of 10 ticks (orderflow footprint / orderflow cvd):\n`);
  console.log(table(
    ['open (UTC)', 'close', 'volume', 'delta', 'cvd', 'POC', 'value area', 'stacked imbalances'],
    candles.map((c, i) => [
      isoTime(c.open_time_ms), String(c.close), fmt(c.volume), fmt(c.delta), fmt(cvd[i].cvd), String(c.poc), `${c.val}-${c.vah}`,
      footprintStacks(c).map((st) => stackText(st, decimalsOf(c.tick))).join('; ') || '-',
    ]),
  ));
  return trades.price[trades.length - 1];
}

/** Risk first: what a low-leverage long at the capture's last price would risk on Binance (orderflow margin). */
function riskTaste(price: number): void {
  const inst = loadBundledInstruments().get('binance', 'BTCUSDT');
  if (!inst) return;
  const rows = [3, 10].map((leverage) => {
    const r = marginReport({ instrument: inst, mode: 'isolated', side: 'long', qty: 0.1, entry: price, leverage });
    return [`${leverage}x`, fmt(r.initialMargin), `${(100 * r.maintenanceMarginRate).toFixed(2)}%`, fmt(r.liquidationPrice), `${((100 * (price - r.liquidationPrice)) / price).toFixed(1)}%`, fmt(r.roundTripFees)];
  });
  console.log(`\nrisk before entry: 0.1 BTC long at ${price} on binance BTCUSDT, isolated (orderflow margin):\n`);
  console.log(table(['leverage', 'margin', 'maint. rate', 'liquidation', 'distance', 'round-trip fees'], rows));
}

function fmt(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '-';
  return Math.abs(x) >= 1000 ? x.toFixed(1) : x.toPrecision(6);
}
