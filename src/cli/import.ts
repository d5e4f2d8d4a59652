import { readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Command } from 'commander';
import { FileError, ParseError } from '../core/errors.ts';
import { importFile, type ImportResult } from '../store/importer.ts';
import { saveInstruments } from '../store/instruments-table.ts';
import { Store } from '../store/store.ts';
import { allFormats } from '../venues/formats.ts';
import { loadBundledInstruments } from '../venues/instruments.ts';
import { homeOption, type HomeOpts, resolveHomeOpt } from './common.ts';
import { formatCount, isoTime, ProgressBar, table } from './progress.ts';

interface ImportOpts extends HomeOpts {
  format?: string;
  symbol?: string;
  skipBadRows?: boolean;
  json?: boolean;
}

/**
 * Files named on the command line; directories are walked (sorted, hidden files skipped).
 * `.CHECKSUM` files are never imported: each is verified with the file it sits beside.
 */
export function expandPaths(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) throw new FileError('E_IO', p, 'no such file or directory');
    if (st.isDirectory()) {
      for (const name of readdirSync(p).sort()) {
        if (!name.startsWith('.')) walk(join(p, name));
      }
    } else if (!p.endsWith('.CHECKSUM')) out.push(p);
  };
  for (const p of paths) walk(p);
  return out;
}

export function registerImport(program: Command): void {
  homeOption(
    program
      .command('import')
      .description('import archive files, captures or Parquet into the store (atomic per file, idempotent)')
      .argument('<paths...>', 'files or directories (.csv, .csv.gz, .zip, .jsonl, .txt, .parquet)')
      .option('--format <id>', 'force a format instead of detecting it (see `orderflow formats`)')
      .option('--symbol <symbol>', "symbol for files whose rows carry none (default: from the file name); any venue's spelling or a base asset (AKT)")
      .option('--skip-bad-rows', 'skip malformed rows and report counts instead of failing the file')
      .option('--json', 'print one JSON object per file instead of the table'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ orderflow import BTCUSDT-aggTrades-2024-01-01.zip         # .CHECKSUM beside it is verified
  $ orderflow import ~/binance/futures/um/daily/aggTrades/   # a whole download folder
  $ orderflow import capture.txt --symbol BTCUSDT             # '<local_ns> <json>' WebSocket capture
  $ orderflow import trades.csv --format binance-um-trades --skip-bad-rows

Each file is imported in one transaction: a bad row fails the whole file (nothing is written)
unless --skip-bad-rows is given. Importing the same bytes again adds nothing.
Exit status: 0 when every file imported or was already imported, 1 otherwise.`,
    )
    .action(async (paths: string[], opts: ImportOpts) => {
      const files = expandPaths(paths);
      const store = await Store.open(resolveHomeOpt(opts));
      const instruments = loadBundledInstruments();
      await saveInstruments(store, instruments);
      const formats = allFormats();
      const results: ImportResult[] = [];
      const failures: { path: string; error: string }[] = [];
      try {
        for (const [i, file] of files.entries()) {
          const bar = new ProgressBar(`[${i + 1}/${files.length}] ${basename(file)}`);
          try {
            const r = await importFile(store, file, {
              formats, instruments, format: opts.format, symbol: opts.symbol, skipBadRows: opts.skipBadRows,
              onProgress: (p) => bar.update(p.bytes, p.totalBytes, p.rows),
            });
            bar.clear();
            results.push(r);
            if (opts.json) console.log(JSON.stringify(r));
            else console.error(describe(r));
          } catch (e) {
            bar.clear();
            if (!(e instanceof ParseError || e instanceof FileError)) throw e;
            failures.push({ path: file, error: e.message });
            if (opts.json) console.log(JSON.stringify({ path: file, status: 'failed', code: e.code, error: e.message }));
            else console.error(`FAILED ${e.message}`);
          }
        }
      } finally {
        store.close();
      }
      if (!opts.json) printSummary(results, failures);
      if (failures.length > 0) process.exitCode = 1;
    });
}

function describe(r: ImportResult): string {
  if (r.status === 'already-imported') return `skip   ${r.path}: already imported (import #${r.importId}, ${r.format}); nothing added`;
  const rate = r.seconds > 0 ? ` (${formatCount(r.rows / r.seconds)} rows/s)` : '';
  const skipped = r.skipped > 0 ? `, ${r.skipped} bad rows skipped: ${Object.entries(r.skippedByCode).map(([c, n]) => `${c} x${n}`).join(', ')}\n       first: ${r.skippedSamples[0]}` : '';
  const sum = r.checksumVerified ? ', checksum ok' : '';
  return `ok     ${r.path}: ${r.rows} rows as ${r.format} in ${r.seconds.toFixed(2)}s${rate}${sum}${skipped}`;
}

function printSummary(results: readonly ImportResult[], failures: readonly { path: string; error: string }[]): void {
  if (results.length + failures.length === 0) return;
  const rows = results.map((r) => [
    basename(r.path), r.status === 'imported' ? 'imported' : 'already', r.format, String(r.rows), String(r.skipped),
    isoTime(r.firstTs), isoTime(r.lastTs), r.seconds > 0 && r.rows > 0 ? formatCount(r.rows / r.seconds) : '-',
  ]);
  for (const f of failures) rows.push([basename(f.path), 'FAILED', '-', '0', '-', '-', '-', '-']);
  console.log(table(['file', 'status', 'format', 'rows', 'skipped', 'first (UTC)', 'last (UTC)', 'rows/s'], rows));
  const total = results.reduce((s, r) => s + r.rows, 0);
  console.log(`\n${results.filter((r) => r.status === 'imported').length} imported, ${results.filter((r) => r.status !== 'imported').length} already imported, ${failures.length} failed; ${total} rows added`);
}
