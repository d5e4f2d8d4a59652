/**
 * The real market-data files the tests read whole, by the name they have in the team's data
 * folder (its SOURCES.md gives each one's origin). They are copied byte-exact into the repository,
 * so a clone needs nothing beside it: `test/fixtures/<venue>/full/<name>`, or `<name>.gz` for the
 * files over 100 KB. Each folder's README says where every one comes from.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

const FIXTURES = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** Name in the data folder -> path under test/fixtures. */
const COPIES: Record<string, string> = {
  'binance-spot-aggTrades-BTCUSDT-2026-01-01-head5000.csv': 'binance/full/binance-spot-aggTrades-BTCUSDT-2026-01-01-head5000.csv.gz',
  'binance-um-depth-snap-BTCUSDT.csv': 'binance/full/binance-um-depth-snap-BTCUSDT.csv',
  'binance-um-depth-update-BTCUSDT.csv': 'binance/full/binance-um-depth-update-BTCUSDT.csv',
  'binance-um-ws-aggTrade-2021-07-22.jsonl': 'binance/full/binance-um-ws-aggTrade-2021-07-22.jsonl',
  'binance-um-ws-bookTicker-2021-07-22.jsonl': 'binance/full/binance-um-ws-bookTicker-2021-07-22.jsonl.gz',
  'binance-um-ws-depthUpdate-100ms-2021-07-22.jsonl': 'binance/full/binance-um-ws-depthUpdate-100ms-2021-07-22.jsonl.gz',
  'binance-um-ws-kline_1m-2021-07-22.jsonl': 'binance/binance-um-ws-kline_1m-2021-07-22.jsonl',
  'freqtrade-binance-XRPUSDT-8h-funding_rate.json': 'binance/freqtrade-binance-XRPUSDT-8h-funding_rate.json',
  'hftbacktest-binance-um-BTCUSDT-allstreams-20240808-head.txt': 'binance/full/hftbacktest-binance-um-BTCUSDT-allstreams-20240808-head.txt.gz',
  'hftbacktest-binance-um-BTCUSDT-trade-20240808.txt': 'binance/full/hftbacktest-binance-um-BTCUSDT-trade-20240808.txt.gz',
  'tardisnode-binance-futures-ws-samples.jsonl': 'binance/tardisnode-binance-futures-ws-samples.jsonl',
  'bybit-linear-ob500-XRPUSDT-2024-12-01.data.zip': 'bybit/full/bybit-linear-ob500-XRPUSDT-2024-12-01.data.zip',
  'bybit-v5-linear-ws-kline1-2026-08-09.jsonl': 'bybit/full/bybit-v5-linear-ws-kline1-2026-08-09.jsonl',
  'bybit-v5-linear-ws-orderbook200-2026-08-09.jsonl': 'bybit/full/bybit-v5-linear-ws-orderbook200-2026-08-09.jsonl.gz',
  'bybit-v5-linear-ws-publicTrade-2026-08-09.jsonl': 'bybit/full/bybit-v5-linear-ws-publicTrade-2026-08-09.jsonl',
  'bybit-v5-linear-ws-tickers-2026-08-09.jsonl': 'bybit/full/bybit-v5-linear-ws-tickers-2026-08-09.jsonl.gz',
  'tardisnode-bybit-v5-ws-samples.jsonl': 'bybit/tardisnode-bybit-v5-ws-samples.jsonl',
  'okx-v5-ws-books-2022-05-13.jsonl': 'okx/full/okx-v5-ws-books-2022-05-13.jsonl.gz',
  'okx-v5-ws-tickers-2022-05-13.jsonl': 'okx/full/okx-v5-ws-tickers-2022-05-13.jsonl',
  'okx-v5-ws-trades-2022-05-13.jsonl': 'okx/full/okx-v5-ws-trades-2022-05-13.jsonl',
  'tardisnode-okex-futures-v5-ws-samples.jsonl': 'okx/tardisnode-okex-futures-v5-ws-samples.jsonl',
  'tardisnode-okex-swap-v5-ws-samples.jsonl': 'okx/tardisnode-okex-swap-v5-ws-samples.jsonl',
  'tardis-binance-futures_book_snapshot_25_BTCUSDT.csv': 'tardis/tardis-binance-futures_book_snapshot_25_BTCUSDT.csv',
  'tardis-binance-futures_book_snapshot_5_BTCUSDT.csv': 'tardis/tardis-binance-futures_book_snapshot_5_BTCUSDT.csv',
};

/** Every real file the repository carries whole, by its data-folder name. */
export const REAL_FILES: readonly string[] = Object.keys(COPIES).sort();

/** The copy's path (maybe `.gz`: import and the mock servers' `replayCapture` read it as the file). */
export function realFile(name: string): string {
  const rel = COPIES[name];
  if (rel === undefined) throw new Error(`${name} is not one of the real files copied into test/fixtures (see test/helpers/real-data.ts)`);
  return FIXTURES + rel;
}

/** The file's text, gunzipped when the copy is compressed. */
export function realText(name: string): string {
  const path = realFile(name);
  const buf = readFileSync(path);
  return (path.endsWith('.gz') ? gunzipSync(buf) : buf).toString('utf8');
}

/** Its non-empty lines. */
export const realLines = (name: string): string[] => realText(name).split('\n').filter((l) => l !== '');
