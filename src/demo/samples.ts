/**
 * The bundled real samples (samples/, each file's source in samples/README.md): imported into a
 * store, and the tour of them `orderflow demo --samples` prints (what the store holds, the
 * aggressive flow per market, a footprint/CVD of the Binance BTCUSDT capture, a margin check).
 */
import { fileURLToPath } from 'node:url';
import { FileError, ParseError } from '../core/errors.ts';
import { marginReport } from '../core/margin.ts';
import { cvdBatch } from '../features/cvd.ts';
import { decimalsOf, footprintBatch } from '../features/footprint.ts';
import { footprintStacks } from '../features/footprint-ladder.ts';
import { stackText } from '../report/footprint-ladder.ts';
import { importPaths } from '../store/import-paths.ts';
import { importFile } from '../store/importer.ts';
import { saveInstruments } from '../store/instruments-table.ts';
import type { Store } from '../store/store.ts';
import { summarize } from '../store/summary.ts';
import { readTrades } from '../store/trade-reader.ts';
import { allFormats } from '../venues/formats.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';
import { isoTime, table } from '../cli/format.ts';

/** Real market data shipped with orderflow. */
export const SAMPLES_DIR = fileURLToPath(new URL('../../samples/', import.meta.url));

export interface SampleImport {
  /** Path below samples/. */
  readonly file: string;
  readonly format: string;
  /** Rows added; null when the file was already imported. */
  readonly rows: number | null;
  /** Why it failed (bad file), else null. */
  readonly error: string | null;
}

/** Import every bundled sample into `store` (idempotent: a file imported before is skipped). */
export async function importSamples(store: Store): Promise<SampleImport[]> {
  const formats = allFormats();
  const instruments = loadBundledInstruments();
  await saveInstruments(store, instruments);
  const out: SampleImport[] = [];
  for (const file of (await importPaths([SAMPLES_DIR], formats)).files) {
    const name = file.slice(SAMPLES_DIR.length);
    try {
      const r = await importFile(store, file, { formats, instruments });
      out.push({ file: name, format: r.format, rows: r.status === 'imported' ? r.rows : null, error: null });
    } catch (e) {
      if (!(e instanceof FileError || e instanceof ParseError)) throw e;
      out.push({ file: name, format: 'FAILED', rows: null, error: e.message });
    }
  }
  return out;
}

/** The full tour of the samples; returns the number of files that failed to import. */
export async function samplesTour(store: Store, log: (line: string) => void): Promise<number> {
  log(`importing the bundled samples from ${SAMPLES_DIR} into ${store.path}\n`);
  const imported = await importSamples(store);
  log(table(['sample', 'format', 'rows added'], imported.map((r) => [r.file, r.format, r.error ?? (r.rows === null ? 'already imported' : String(r.rows))])));
  const s = await summarize(store, 300_000);
  log(`\nthe store now holds (${s.imports} files imported):\n`);
  log(table(
    ['venue', 'symbol', 'type', 'count', 'first (UTC)', 'last (UTC)'],
    s.datasets.map((d) => [d.venue, d.symbol, d.type, String(d.count), isoTime(d.first_ts), isoTime(d.last_ts)]),
  ));
  const trades = await store.rows<{ venue: string; symbol: string; n: bigint; buy: number; sell: number; vwap: number }>(
    `SELECT venue::VARCHAR AS venue, symbol, count(*) AS n,
            sum(qty) FILTER (WHERE side = 'buy') AS buy, sum(qty) FILTER (WHERE side = 'sell') AS sell,
            sum(price * qty) / sum(qty) AS vwap
     FROM trades GROUP BY ALL ORDER BY n DESC`,
  );
  log('\naggressive flow per market (buy = taker bought, sell = taker sold; base units):\n');
  log(table(
    ['venue', 'symbol', 'trades', 'buy qty', 'sell qty', 'delta', 'vwap'],
    trades.map((t) => [t.venue, t.symbol, String(t.n), fmt(t.buy), fmt(t.sell), fmt((t.buy ?? 0) - (t.sell ?? 0)), fmt(t.vwap)]),
  ));
  const last = await footprintTaste(store, log);
  if (last !== undefined) riskTaste(last, log);
  return imported.filter((r) => r.error !== null).length;
}

/**
 * A taste of the order-flow operators on the real Binance BTCUSDT capture: 10-second footprint
 * candles (10-tick levels) with their delta, POC and stacked imbalances, and the running CVD.
 */
async function footprintTaste(store: Store, log: (line: string) => void): Promise<number | undefined> {
  const trades = await readTrades(store, { venues: ['binance'], symbols: ['BTCUSDT'], fromMs: Date.UTC(2024, 7, 8), toMs: Date.UTC(2024, 7, 9) });
  if (trades.length === 0) return undefined;
  const candles = footprintBatch(trades, { timeframeMs: 10_000, tick: 0.1, levelTicks: 10 });
  const cvd = cvdBatch(trades, { timeframeMs: 10_000 });
  log(`\nfootprint of binance BTCUSDT, 10s candles, levels of 10 ticks (orderflow footprint / orderflow cvd):\n`);
  log(table(
    ['open (UTC)', 'close', 'volume', 'delta', 'cvd', 'POC', 'value area', 'stacked imbalances'],
    candles.map((c, i) => [
      isoTime(c.open_time_ms), String(c.close), fmt(c.volume), fmt(c.delta), fmt(cvd[i].cvd), String(c.poc), `${c.val}-${c.vah}`,
      footprintStacks(c).map((st) => stackText(st, decimalsOf(c.tick))).join('; ') || '-',
    ]),
  ));
  return trades.price[trades.length - 1];
}

/** Risk first: what a low-leverage long at the capture's last price would risk on Binance (orderflow margin). */
function riskTaste(price: number, log: (line: string) => void): void {
  const inst = loadBundledInstruments().get('binance', 'BTCUSDT');
  if (!inst) return;
  const rows = [3, 10].map((leverage) => {
    const r = marginReport({ instrument: inst, mode: 'isolated', side: 'long', qty: 0.1, entry: price, leverage });
    return [`${leverage}x`, fmt(r.initialMargin), `${(100 * r.maintenanceMarginRate).toFixed(2)}%`, fmt(r.liquidationPrice), `${((100 * (price - r.liquidationPrice)) / price).toFixed(1)}%`, fmt(r.roundTripFees)];
  });
  log(`\nrisk before entry: 0.1 BTC long at ${price} on binance BTCUSDT, isolated (orderflow margin):\n`);
  log(table(['leverage', 'margin', 'maint. rate', 'liquidation', 'distance', 'round-trip fees'], rows));
}

export function fmt(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '-';
  return Math.abs(x) >= 1000 ? x.toFixed(1) : x.toPrecision(6);
}
