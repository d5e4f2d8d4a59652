import { basename } from 'node:path';
import type { Command } from 'commander';
import { FileError, ParseError, shorten, UsageError } from '../core/errors.ts';
import { printable } from '../core/printable.ts';
import { isValidSymbol, MAX_SYMBOL_LENGTH } from '../core/symbol.ts';
import { importPaths, type SkippedPath } from '../store/import-paths.ts';
import { importFile, type ImportResult } from '../store/importer.ts';
import { saveInstruments } from '../store/instruments-table.ts';
import { Store } from '../store/store.ts';
import { allFormats } from '../venues/formats.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';
import { homeOption, type HomeOpts, resolveHomeOpt } from './common.ts';
import { ProgressBar } from './progress.ts';
import { formatCount, isoTime, table } from './format.ts';

interface ImportOpts extends HomeOpts {
  format?: string;
  symbol?: string;
  skipBadRows?: boolean;
  json?: boolean;
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
A folder is walked (hidden entries skipped, symbolic links followed): files that are not market
data (READMEs, checksums, labels.json, anything no format reads) and link loops are listed as
skipped; a file named on the command line is always read. A line longer than 1 MiB fails the
file (E_LINE_TOO_LONG); a symbol over ${MAX_SYMBOL_LENGTH} characters, or with characters no venue uses,
is a bad row (E_SYMBOL). A .gz cut short (no gzip trailer) is refused (E_TRUNCATED), except a
raw capture written by \`record --raw\` that a crash cut short: its complete lines are imported
with a warning. Error codes: docs/SCHEMA.md "Import errors".
Exit status: 0 when every file imported or was already imported, 1 otherwise.`,
    )
    .action(async (paths: string[], opts: ImportOpts) => {
      if (opts.symbol !== undefined && !isValidSymbol(opts.symbol)) {
        throw new UsageError(`--symbol: ${JSON.stringify(shorten(opts.symbol))} is not a symbol (1 to ${MAX_SYMBOL_LENGTH} letters, digits and . _ : / -)`);
      }
      const formats = allFormats();
      const { files, skipped } = await importPaths(paths, formats);
      for (const s of skipped) {
        if (opts.json) console.log(printable(JSON.stringify({ path: s.path, status: 'skipped', reason: s.reason })));
        else console.error(printable(`skip   ${s.path}: ${s.reason}`));
      }
      const store = await Store.open(resolveHomeOpt(opts));
      const instruments = loadBundledInstruments();
      await saveInstruments(store, instruments);
      const results: ImportResult[] = [];
      const failures: { path: string; error: string }[] = [];
      try {
        for (const [i, file] of files.entries()) {
          const bar = new ProgressBar(printable(`[${i + 1}/${files.length}] ${basename(file)}`));
          try {
            const r = await importFile(store, file, {
              formats, instruments, format: opts.format, symbol: opts.symbol, skipBadRows: opts.skipBadRows,
              onProgress: (p) => bar.update(p.bytes, p.totalBytes, p.rows),
            });
            bar.clear();
            results.push(r);
            if (opts.json) console.log(printable(JSON.stringify(r)));
            else console.error(printable(describe(r)));
          } catch (e) {
            bar.clear();
            if (!(e instanceof ParseError || e instanceof FileError)) throw e;
            failures.push({ path: file, error: e.message });
            if (opts.json) console.log(printable(JSON.stringify({ path: file, status: 'failed', code: e.code, error: e.message })));
            else console.error(printable(`FAILED ${e.message}`));
          }
        }
      } finally {
        store.close();
      }
      if (!opts.json) printSummary(results, failures, skipped);
      if (failures.length > 0) process.exitCode = 1;
    });
}

function describe(r: ImportResult): string {
  if (r.status === 'already-imported') return `skip   ${r.path}: already imported (import #${r.importId}, ${r.format}); nothing added`;
  const rate = r.seconds > 0 ? ` (${formatCount(r.rows / r.seconds)} rows/s)` : '';
  const skipped = r.skipped > 0 ? `, ${r.skipped} bad rows skipped: ${Object.entries(r.skippedByCode).map(([c, n]) => `${c} x${n}`).join(', ')}\n       first: ${r.skippedSamples[0]}` : '';
  const sum = r.checksumVerified ? ', checksum ok' : '';
  const warning = r.warning ? `\n       warning: ${r.warning}` : '';
  return `ok     ${r.path}: ${r.rows} rows as ${r.format} in ${r.seconds.toFixed(2)}s${rate}${sum}${skipped}${warning}`;
}

function printSummary(results: readonly ImportResult[], failures: readonly { path: string; error: string }[], skipped: readonly SkippedPath[]): void {
  if (results.length + failures.length === 0) {
    if (skipped.length > 0) console.log(`nothing to import: ${skipped.length} skipped`);
    return;
  }
  const rows = results.map((r) => [
    basename(r.path), r.status === 'imported' ? 'imported' : 'already', r.format, String(r.rows), String(r.skipped),
    isoTime(r.firstTs), isoTime(r.lastTs), r.seconds > 0 && r.rows > 0 ? formatCount(r.rows / r.seconds) : '-',
  ]);
  for (const f of failures) rows.push([basename(f.path), 'FAILED', '-', '0', '-', '-', '-', '-']);
  console.log(table(['file', 'status', 'format', 'rows', 'skipped', 'first (UTC)', 'last (UTC)', 'rows/s'], rows));
  const total = results.reduce((s, r) => s + r.rows, 0);
  const skippedNote = skipped.length > 0 ? `, ${skipped.length} skipped` : '';
  console.log(`\n${results.filter((r) => r.status === 'imported').length} imported, ${results.filter((r) => r.status !== 'imported').length} already imported, ${failures.length} failed${skippedNote}; ${total} rows added`);
}
