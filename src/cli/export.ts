import { resolve } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { VENUES } from '../core/events.ts';
import { symbolsMatching } from '../core/instruments.ts';
import { closestSymbols } from '../core/symbols.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';
import { exportLake } from '../lake/export-lake.ts';
import { exportParquet } from '../store/parquet.ts';
import { DATA_TABLES, type DataTable } from '../store/schema.ts';
import { storedNames } from '../store/markets.ts';
import { Store } from '../store/store.ts';
import { existingHome, homeOption, type HomeOpts } from './common.ts';
import { table } from './format.ts';
import { parseTime } from './options.ts';

interface ExportOpts extends HomeOpts {
  out: string;
  venue?: string;
  symbol?: string;
  from?: string;
  to?: string;
  tables?: string;
  layout: string;
}

export function registerExport(program: Command): void {
  homeOption(
    program
      .command('export')
      .description('write the store as Parquet partitioned venue=/symbol=/date= (zstd), or as the lake (venue=/symbol=/date=/hour=)')
      .requiredOption('--out <dir>', 'output folder (one sub-folder per table)')
      .option('--venue <venue>', `only this venue (${VENUES.join(', ')})`)
      .option('--symbol <symbol>', 'only this market: a venue-native symbol (AKTUSDT, AKT-USDT-SWAP) or a base asset (AKT = its perpetual on every venue)')
      .option('--from <time>', 'from this time, inclusive (2024-11-01, 2024-11-01T12:00: UTC unless a zone follows; or epoch ms)')
      .option('--to <time>', 'up to this time, exclusive')
      .option('--tables <list>', `comma-separated tables (default all: ${DATA_TABLES.join(',')})`)
      .option('--layout <layout>', "'daily' (venue=/symbol=/date=, importable file by file) or 'lake' (venue=/symbol=/date=/hour=, what --lake reads and the bus sink writes: docs/SCALING.md)", 'daily'),
  )
    .addHelpText(
      'after',
      `
Layout daily: <out>/<table>/venue=<venue>/symbol=<symbol>/date=<YYYY-MM-DD>/data_0.parquet. The
partition columns are also inside each file, so 'orderflow import' takes any single file back.
Layout lake: <out>/<table>/venue=<venue>/symbol=<symbol>/date=<YYYY-MM-DD>/hour=<H>/data_0.parquet,
every store column (import_id too) plus date and hour: 'orderflow analyze|backtest --lake <out>'
read it, as do Spark and ClickHouse (docs/SCALING.md "The lake").

Examples:
  $ orderflow export --out ./parquet
  $ orderflow export --out ./parquet --venue binance --symbol BTCUSDT --from 2024-08-01 --to 2024-09-01 --tables trades
  $ orderflow export --out ./akt --symbol AKT          # AKTUSDT (Binance, Bybit) and AKT-USDT-SWAP (OKX)
  $ orderflow export --out ./lake --layout lake && orderflow analyze --lake ./lake --symbol BTC
  $ duckdb -c "SELECT side, sum(qty) FROM read_parquet('parquet/trades/**/*.parquet', hive_partitioning=true) GROUP BY side"`,
    )
    .action(async (opts: ExportOpts) => {
      if (opts.venue !== undefined && !(VENUES as readonly string[]).includes(opts.venue)) throw new UsageError(`--venue: unknown venue ${JSON.stringify(opts.venue)}; known: ${VENUES.join(', ')}`);
      const tables = opts.tables?.split(',').map((t) => t.trim()) as DataTable[] | undefined;
      for (const t of tables ?? []) if (!DATA_TABLES.includes(t)) throw new UsageError(`--tables: unknown table ${JSON.stringify(t)}; known: ${DATA_TABLES.join(', ')}`);
      if (opts.layout !== 'daily' && opts.layout !== 'lake') throw new UsageError(`--layout: ${JSON.stringify(opts.layout)} is not a layout; known: daily, lake`);
      const write = opts.layout === 'lake' ? exportLake : exportParquet;
      const store = await Store.open(existingHome(opts), { readOnly: true });
      try {
        const results = await write(store, resolve(opts.out), {
          venue: opts.venue, tables,
          symbols: opts.symbol === undefined ? undefined : symbolsMatching(loadBundledInstruments(), opts.symbol, VENUES),
          from: opts.from === undefined ? undefined : parseTime(opts.from, '--from'),
          to: opts.to === undefined ? undefined : parseTime(opts.to, '--to'),
        });
        const close = results.length === 0 && opts.symbol !== undefined ? closestSymbols(opts.symbol, await storedNames(store, false)) : [];
        if (results.length === 0) console.log(`nothing matched: no rows exported${close.length > 0 ? `; did you mean --symbol ${close.join(', ')}?` : ''}`);
        else console.log(table(['table', 'rows', 'folder'], results.map((r) => [r.table, String(r.rows), r.dir])));
      } finally {
        store.close();
      }
    });
}
