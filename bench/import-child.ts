/**
 * One side of the import benchmark, in its own process: `ours` runs the real importer,
 * `duckdb` loads the same CSV with read_csv into the same table. Prints {rows, seconds, cpuSeconds,
 * maxRssMB}: CPU time (every thread, DuckDB's included) is what the two sides cost whatever else
 * the machine is running; wall time is what a user waits.
 */
import { importFile } from '../src/store/importer.ts';
import { Store } from '../src/store/store.ts';
import { allFormats } from '../src/venues/formats.ts';
import { loadBundledInstruments } from '../src/venues/bundled-instruments.ts';

const [side, csv, home] = process.argv.slice(2);
const store = await Store.open(home);
// The import's setup, which `orderflow import` does once per run before its files: outside the
// timed window, like the store's open on both sides (~15 ms of wall, ~20 ms of CPU here).
const importOptions = side === 'ours' ? { formats: allFormats(), instruments: loadBundledInstruments() } : undefined;
const started = performance.now();
const cpuBefore = process.cpuUsage();
let rows: number;
let method = 'read_csv';
if (importOptions) {
  const r = await importFile(store, csv, importOptions);
  rows = r.rows;
  method = r.method;
} else {
  // The same normalization as our binance-um-aggTrades format: aggressor side from
  // is_buyer_maker, ms timestamps, id as text, in one transaction.
  await store.run('BEGIN TRANSACTION');
  await store.run(
    `INSERT INTO trades
     SELECT 'binance', 'BTCUSDT', make_timestamp(transact_time * 1000), NULL, price, quantity,
            CASE WHEN is_buyer_maker THEN 'sell' ELSE 'buy' END, agg_trade_id, NULL, 1
     FROM read_csv($1, header = true, columns = {
       'agg_trade_id': 'BIGINT', 'price': 'DOUBLE', 'quantity': 'DOUBLE', 'first_trade_id': 'BIGINT',
       'last_trade_id': 'BIGINT', 'transact_time': 'BIGINT', 'is_buyer_maker': 'BOOLEAN'})`,
    [csv],
  );
  await store.run('COMMIT');
  const [{ n }] = await store.rows<{ n: bigint }>('SELECT count(*) AS n FROM trades');
  rows = Number(n);
}
const seconds = (performance.now() - started) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const cpuSeconds = (cpu.user + cpu.system) / 1e6;
store.close();
console.log(JSON.stringify({ rows, seconds, cpuSeconds, method, maxRssMB: process.resourceUsage().maxRSS / 1024 }));
