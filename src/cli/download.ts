/**
 * `orderflow download`: fetch the public archives (Binance public data, Bybit's trading archive),
 * verify, keep, and import on the fly. The layouts, the plan, the fetching and the store hooks live
 * in src/venues/download/; this file reads the options and reports.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../core/errors.ts';
import { saveInstruments } from '../store/instruments-table.ts';
import { Store } from '../store/store.ts';
import { downloadFiles, type DownloadEvent, type DownloadHooks, type DownloadSummary, type FileResult } from '../venues/download/downloader.ts';
import { ARCHIVE_VENUES, archiveBase, dayText, kindsOf, parseDay, yesterday } from '../venues/download/layout.ts';
import { planDownload } from '../venues/download/plan.ts';
import { storeHooks } from '../venues/download/store-hooks.ts';
import { loadBundledInstruments } from '../venues/bundled-instruments.ts';
import { homeOption, type HomeOpts, resolveHomeOpt } from './common.ts';
import { formatDuration } from './format.ts';

interface DownloadOpts extends HomeOpts {
  venue?: string;
  symbol?: string;
  kinds?: string;
  from?: string;
  to?: string;
  market?: string;
  interval?: string;
  dir?: string;
  baseUrl?: string;
  import: boolean;
  concurrency?: string;
  retries?: string;
  json?: boolean;
}

function positiveInt(text: string | undefined, option: string, fallback: number, max: number, min = 1): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw new UsageError(`${option}: ${JSON.stringify(text)}; expected a whole number from ${min} to ${max}`);
  return n;
}

export function registerDownload(program: Command): void {
  homeOption(
    program
      .command('download')
      .description('download public archives (Binance data.binance.vision, Bybit public.bybit.com): resumable, checksum-verified, imported on the fly')
      .requiredOption('--venue <venue>', `archive to read: ${ARCHIVE_VENUES.join(', ')}`)
      .requiredOption('--symbol <symbols>', 'exchange symbol(s), comma-separated (AKTUSDT; COIN-M: BTCUSD_PERP)')
      .option('--kinds <kinds>', `comma-separated datasets (Binance: ${kindsOf('binance').join(', ')}; Bybit: trades); default aggTrades / trades`)
      .requiredOption('--from <date>', 'first UTC day, YYYY-MM-DD (inclusive)')
      .option('--to <date>', 'UTC day to stop before, YYYY-MM-DD (exclusive, as everywhere: --from 2024-11-01 --to 2024-11-15 is 14 days; default today, so yesterday is the newest day fetched)')
      .option('--market <um|cm>', 'Binance futures market: um (USD-M) or cm (COIN-M); default um, cm for liquidationSnapshot (COIN-M only)')
      .option('--interval <interval>', 'kline interval for kline kinds (default 1m)')
      .option('--dir <dir>', 'where files are kept, at the archive path (default <home>/downloads/<venue>)')
      .option('--base-url <url>', 'archive base URL (default https://data.binance.vision / https://public.bybit.com, or $ORDERFLOW_BINANCE_ARCHIVE_URL / $ORDERFLOW_BYBIT_ARCHIVE_URL)')
      .option('--no-import', 'only download and verify; do not import into the store')
      .option('--concurrency <n>', 'files downloaded at once (default 4)')
      .option('--retries <n>', 'retries per request on network errors, 5xx and 429, with backoff (default 4)')
      .option('--json', 'print one JSON object per file instead of text lines'),
  )
    .addHelpText(
      'after',
      `
Examples:
  $ orderflow download --venue binance --symbol AKTUSDT --kinds aggTrades,metrics --from 2024-11-01 --to 2024-11-15   # 14 days
  $ orderflow download --venue binance --symbol BTCUSDT --kinds aggTrades --from 2024-01-01 --to 2024-04-01   # 3 monthly files
  $ orderflow download --venue binance --symbol BTCUSD_PERP --kinds liquidationSnapshot --from 2024-10-01 --to 2024-10-15
  $ orderflow download --venue bybit --symbol AKTUSDT --from 2024-11-01 --to 2024-11-15 --no-import --dir ./archives

Binance files come with a .CHECKSUM (sha256): a file that does not match is refused and nothing
of it is imported. Bybit publishes no checksum: files are checked by decompressing them whole.
Interrupted downloads resume (HTTP Range) on the next run; files already here or already in the
store are skipped. A day the archive does not have (HTTP 404) is reported and skipped.
Exit status: 0 when every file was fetched, present, or not published; 1 when a file failed
(checksum, network, import) or nothing at all could be fetched; 2 for bad options.
Layouts, sources and limits: docs/DOWNLOAD.md.`,
    )
    .action(async (opts: DownloadOpts) => {
      const split = (s: string | undefined) => (s ?? '').split(',').map((x) => x.trim()).filter((x) => x !== '');
      if (opts.to === undefined && opts.from !== undefined && opts.from > yesterday()) {
        throw new UsageError(`--from ${opts.from} is after yesterday (${yesterday()}), the newest day the archives publish`);
      }
      const today = dayText(parseDay(yesterday())! + 1);
      const plan = planDownload({
        venue: opts.venue ?? '',
        symbols: split(opts.symbol).map((s) => s.toUpperCase()),
        kinds: split(opts.kinds),
        from: opts.from ?? '',
        to: opts.to ?? today,
        market: opts.market,
        interval: opts.interval,
        importing: opts.import,
      });
      const concurrency = positiveInt(opts.concurrency, '--concurrency', 4, 32);
      const retries = positiveInt(opts.retries, '--retries', 4, 20, 0);
      const baseUrl = archiveBase(plan.venue, opts.baseUrl);
      const home = resolveHomeOpt(opts);
      const dir = opts.dir ?? join(home, 'downloads', plan.venue);

      for (const n of plan.notes) console.error(`note: ${n}`);
      let store: Store | undefined;
      let hooks: DownloadHooks | undefined;
      if (opts.import) {
        store = await Store.open(home);
        const instruments = loadBundledInstruments();
        await saveInstruments(store, instruments);
        hooks = storeHooks(store, instruments);
      }
      const reporter = new Reporter(Boolean(opts.json), baseUrl);
      let summary: DownloadSummary;
      try {
        summary = await downloadFiles(plan.files, { baseUrl, dir, concurrency, retry: { retries }, hooks, onEvent: (e) => reporter.event(e) });
      } finally {
        reporter.clear();
        store?.close();
      }
      if (!opts.json) console.log(summaryLine(summary, opts.import));
      const failed = summary.counts.failed + summary.importFailures;
      if (summary.stopped) {
        console.error(`orderflow: stopped early: ${summary.stopped.reason}${summary.stopped.notTried > 0 ? ` (${summary.stopped.notTried} more files not tried)` : ''}`);
        process.exitCode = 1;
      } else if (summary.fetched === 0 && summary.results.length > 0) {
        console.error(`orderflow: nothing could be fetched from ${baseUrl}: check the symbol, kinds and dates (every file was ${failed > 0 ? 'missing or failed' : 'missing'})`);
        process.exitCode = 1;
      } else if (failed > 0) process.exitCode = 1;
    });
}

function summaryLine(s: DownloadSummary, importing: boolean): string {
  const c = s.counts;
  const parts = [
    `${c.downloaded} downloaded (${formatBytes(s.bytes)} in ${s.seconds.toFixed(1)}s)`,
    `${c.present} already here`,
    ...(importing ? [`${c['already-imported']} already in the store`] : []),
    `${c.missing} not published`,
    `${c.failed} failed`,
  ];
  const imported = importing ? `; ${s.rowsImported} rows imported${s.importFailures > 0 ? `, ${s.importFailures} imports failed` : ''}` : '';
  return `${s.results.length} files: ${parts.join(', ')}${imported}`;
}

function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(2)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} B`;
}

/** One line per file for people and logs. */
function describeResult(r: FileResult): string {
  const imp = r.import
    ? r.import.status === 'failed'
      ? `; import FAILED: ${r.import.code}: ${r.import.error}`
      : r.import.status === 'imported'
        ? `; imported ${r.import.rows} rows (${r.import.format})`
        : `; already imported (import #${r.import.importId})`
    : '';
  const check = r.verified === 'sha256' ? 'sha256 ok' : r.verified === 'gzip' ? 'gzip ok (no checksum published)' : '';
  const note = r.note ? ` [${r.note}]` : '';
  switch (r.status) {
    case 'downloaded': {
      const extra = [
        r.resumedFrom ? `resumed at ${formatBytes(r.resumedFrom)}` : '',
        r.rangeIgnored ? 'server ignored Range, fetched whole' : '',
        r.attempts && r.attempts > 1 ? `${r.attempts} attempts` : '',
      ].filter(Boolean);
      return `ok       ${r.name}: ${formatBytes(r.size ?? r.bytes)} in ${r.seconds.toFixed(1)}s, ${check}${extra.length ? `, ${extra.join(', ')}` : ''}${imp}${note}`;
    }
    case 'present':
      return `have     ${r.name}: already downloaded, ${check}${imp}${note}`;
    case 'already-imported':
      return `in-store ${r.name}: not downloaded${note}`;
    case 'missing':
      return `missing  ${r.name}: ${r.error?.message ?? 'not published'}${note}`;
    case 'failed':
      return `FAILED   ${r.name}: ${r.error?.code}: ${r.error?.message}`;
  }
}

/** Per-file lines (or JSON) and, on a terminal, a progress bar: files, bytes, rate, ETA. */
class Reporter {
  private readonly tty = Boolean(process.stderr.isTTY) && !process.env.CI;
  private readonly started = performance.now();
  private files = 0;
  private finished = 0;
  private bytes = 0;
  private lastDraw = 0;
  private drawn = false;
  private current = '';
  /** Known sizes and bytes so far of files in flight. */
  private readonly inFlight = new Map<string, { size?: number; got: number }>();
  private finishedBytes = 0;
  private finishedSized = 0;

  constructor(
    private readonly json: boolean,
    private readonly baseUrl: string,
  ) {}

  event(e: DownloadEvent): void {
    switch (e.type) {
      case 'queued':
        this.files += e.files;
        break;
      case 'start':
        this.inFlight.set(e.file.path, { got: 0 });
        this.current = e.file.name;
        break;
      case 'size':
        this.inFlight.set(e.file.path, { got: 0, ...this.inFlight.get(e.file.path), size: e.total });
        break;
      case 'bytes':
        this.bytes += e.bytes;
        this.inFlight.set(e.file.path, { got: (this.inFlight.get(e.file.path)?.got ?? 0) + e.bytes, size: this.inFlight.get(e.file.path)?.size });
        break;
      case 'retry':
        this.line(`retry    ${e.file.name}: attempt ${e.attempt + 1} in ${(e.waitMs / 1000).toFixed(1)}s after ${e.error}`, true);
        break;
      case 'done': {
        this.finished++;
        const key = e.result.url.slice(this.baseUrl.length + 1);
        const v = this.inFlight.get(key);
        this.inFlight.delete(key);
        if (v?.size !== undefined) {
          this.finishedBytes += v.size;
          this.finishedSized++;
        }
        if (this.json) {
          this.clear();
          console.log(JSON.stringify(e.result));
        } else this.line(describeResult(e.result));
        break;
      }
    }
    this.draw(e.type === 'done');
  }

  private line(text: string, warn = false): void {
    if (this.json && !warn) return;
    this.clear();
    console.error(text);
  }

  private draw(force: boolean): void {
    if (!this.tty) return;
    const now = performance.now();
    if (!force && now - this.lastDraw < 100) return;
    this.lastDraw = now;
    const secs = (now - this.started) / 1000;
    const rate = secs > 0 ? this.bytes / secs : 0;
    // Remaining bytes: what files in flight still lack, plus the average file for those not started.
    const sizes = [...this.inFlight.values()].filter((f) => f.size !== undefined);
    const avg = (this.finishedBytes + sizes.reduce((s, f) => s + f.size!, 0)) / Math.max(1, this.finishedSized + sizes.length);
    const notStarted = Math.max(0, this.files - this.finished - this.inFlight.size);
    const remaining = sizes.reduce((s, f) => s + Math.max(0, f.size! - f.got), 0) + notStarted * avg;
    const eta = rate > 0 && avg > 0 ? remaining / rate : NaN;
    const text = `[${this.finished}/${this.files} files] ${formatBytes(this.bytes)}  ${formatBytes(rate)}/s  ETA ${formatDuration(eta)}  ${this.current}`;
    process.stderr.write(`\r${text.slice(0, (process.stderr.columns ?? 120) - 1)}\x1b[K`);
    this.drawn = true;
  }

  clear(): void {
    if (this.drawn) process.stderr.write('\r\x1b[K');
    this.drawn = false;
  }
}

