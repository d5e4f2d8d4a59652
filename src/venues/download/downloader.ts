/**
 * The archive downloader: fetches planned files (layout.ts) with a bounded number in flight,
 * verifies each (sha256 against the archive's `.CHECKSUM`, or gzip integrity where the archive
 * publishes none), keeps it under `dir` at the archive's own path, and hands it to an import hook
 * one file at a time (the store takes one writer).
 *
 * Per file:
 *   1. A complete file already under `dir` that verifies (its `.CHECKSUM` beside it, or a sound
 *      gzip) is kept: no network at all (status `present`).
 *   2. Checksummed archives: the `.CHECKSUM` is fetched first (404 = not published: `missing`;
 *      a missing monthly file falls back to its month's daily files). A file the store already
 *      imported (same sha256) is not downloaded again (`already-imported`).
 *   3. The body goes to `<file>.part`, resumed with Range across retries and runs; only a part
 *      that verifies is renamed to the file (with its `.CHECKSUM` written beside it). A part that
 *      fails verification after a resume is fetched once more from 0; a fresh one that fails is
 *      deleted and the file reported `failed` (E_CHECKSUM / E_TRUNCATED), nothing imported.
 *
 * This module knows nothing of the store: the caller passes hooks (store-hooks.ts).
 */
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FileError } from '../../core/errors.ts';
import { DEFAULT_RETRY, downloadToPart, fetchText, headSize, HostNotFoundError, HttpError, isRetryable, NetworkError, NotFoundError, type PartOptions, type RetryOptions, sha256Of, verifyGzip } from './fetch.ts';
import { checksumText, dailyFilesFor, fileUrl, parseChecksum, type PlannedFile } from './layout.ts';

export interface ImportOutcome {
  readonly status: 'imported' | 'already-imported';
  readonly rows: number;
  readonly format: string;
  readonly importId: number;
}

export interface DownloadHooks {
  /**
   * Whether the store already holds this file: by sha256 when the archive publishes one, else by
   * name and size (size from a HEAD; undefined when the server does not say).
   */
  readonly alreadyImported?: (file: PlannedFile, sha256: string | undefined, size: number | undefined) => Promise<boolean>;
  /** Import a verified file. Called one file at a time. */
  readonly importFile?: (path: string, file: PlannedFile) => Promise<ImportOutcome>;
}

export type FileStatus = 'downloaded' | 'present' | 'already-imported' | 'missing' | 'failed';

export interface FileResult {
  readonly venue: string;
  readonly market?: string;
  readonly kind: string;
  readonly symbol: string;
  readonly interval?: string;
  readonly period: 'daily' | 'monthly';
  /** The date part of the file name: `YYYY-MM-DD` or `YYYY-MM`. */
  readonly date: string;
  readonly name: string;
  readonly url: string;
  /** Where the file is (or would be) kept. */
  readonly path: string;
  readonly status: FileStatus;
  /** Bytes received for this file in this run (checksum files included). */
  readonly bytes: number;
  /** Size of the complete file, when there is one. */
  readonly size?: number;
  readonly sha256?: string;
  /** `sha256`: matched the archive's .CHECKSUM; `gzip`: decompressed whole (no checksum published). */
  readonly verified?: 'sha256' | 'gzip';
  /** Bytes the part file already held (a resumed download). */
  readonly resumedFrom?: number;
  /** The server ignored Range and sent the whole file again. */
  readonly rangeIgnored?: boolean;
  /** HTTP attempts for the body (1 = no retry). */
  readonly attempts?: number;
  readonly seconds: number;
  readonly import?: ImportReport;
  readonly error?: { readonly code: string; readonly message: string };
  /** Anything else worth a line: a monthly file replaced by daily ones, ... */
  readonly note?: string;
}

export type ImportReport =
  | { readonly status: 'imported' | 'already-imported'; readonly rows: number; readonly format: string; readonly importId: number }
  | { readonly status: 'failed'; readonly code: string; readonly error: string };

export type DownloadEvent =
  | { readonly type: 'queued'; readonly files: number }
  | { readonly type: 'start'; readonly file: PlannedFile }
  | { readonly type: 'size'; readonly file: PlannedFile; readonly total: number }
  | { readonly type: 'bytes'; readonly file: PlannedFile; readonly bytes: number }
  | { readonly type: 'retry'; readonly file: PlannedFile; readonly attempt: number; readonly error: string; readonly waitMs: number }
  | { readonly type: 'done'; readonly result: FileResult };

export interface DownloadOptions {
  /** Archive base URL (layout.ts archiveBase). */
  readonly baseUrl: string;
  /** Files are kept at `<dir>/<archive path>`. */
  readonly dir: string;
  /** Files in flight (imports still run one at a time). */
  readonly concurrency?: number;
  readonly retry?: Partial<RetryOptions>;
  readonly hooks?: DownloadHooks;
  readonly onEvent?: (e: DownloadEvent) => void;
}

export interface DownloadSummary {
  readonly results: readonly FileResult[];
  readonly bytes: number;
  readonly seconds: number;
  readonly counts: Readonly<Record<FileStatus, number>>;
  /** Files present afterwards (downloaded, present, or already in the store). */
  readonly fetched: number;
  readonly importFailures: number;
  readonly rowsImported: number;
  /** Why the run stopped before trying every file (the host does not resolve), and how many files were not tried. */
  readonly stopped?: { readonly reason: string; readonly notTried: number };
}

/** Download (and import) every planned file; never throws for a file, reports it instead. */
export async function downloadFiles(files: readonly PlannedFile[], opts: DownloadOptions): Promise<DownloadSummary> {
  const started = performance.now();
  const retry: RetryOptions = { ...DEFAULT_RETRY, ...opts.retry };
  const concurrency = Math.max(1, Math.floor(opts.concurrency ?? 4));
  const emit = opts.onEvent ?? (() => {});
  const results: FileResult[] = [];
  let importChain: Promise<void> = Promise.resolve();
  const imports: Promise<void>[] = [];
  emit({ type: 'queued', files: files.length });

  const finish = (r: FileResult, file: PlannedFile) => {
    const wantsImport = opts.hooks?.importFile && (r.status === 'downloaded' || r.status === 'present');
    if (!wantsImport) {
      results.push(r);
      emit({ type: 'done', result: r });
      return;
    }
    importChain = importChain.then(async () => {
      const report = await runImport(opts.hooks!.importFile!, r.path, file);
      const full = { ...r, import: report };
      results.push(full);
      emit({ type: 'done', result: full });
    });
    imports.push(importChain);
  };

  const queue = [...files];
  let stopped: DownloadSummary['stopped'];
  await new Promise<void>((resolve) => {
    let active = 0;
    const pump = () => {
      while (active < concurrency && queue.length > 0) {
        const file = queue.shift()!;
        active++;
        processFile(file, opts, retry, emit).then(({ result, more }) => {
          finish(result, file);
          if (result.error?.code === 'E_DNS' && stopped === undefined) {
            // Every other file is on the same host: retrying each would only repeat this.
            stopped = { reason: result.error.message, notTried: queue.length };
            queue.length = 0;
          }
          if (more.length > 0 && stopped === undefined) {
            queue.unshift(...more);
            emit({ type: 'queued', files: more.length });
          }
          active--;
          if (active === 0 && queue.length === 0) resolve();
          else pump();
        });
      }
      if (active === 0 && queue.length === 0) resolve();
    };
    pump();
  });
  await Promise.all(imports);

  const counts: Record<FileStatus, number> = { downloaded: 0, present: 0, 'already-imported': 0, missing: 0, failed: 0 };
  let bytes = 0;
  let rowsImported = 0;
  let importFailures = 0;
  for (const r of results) {
    counts[r.status]++;
    bytes += r.bytes;
    if (r.import?.status === 'imported') rowsImported += r.import.rows;
    if (r.import?.status === 'failed') importFailures++;
  }
  return {
    results, bytes, seconds: (performance.now() - started) / 1000, counts,
    fetched: counts.downloaded + counts.present + counts['already-imported'], importFailures, rowsImported, stopped,
  };
}

async function runImport(importFile: NonNullable<DownloadHooks['importFile']>, path: string, file: PlannedFile): Promise<ImportReport> {
  try {
    const r = await importFile(path, file);
    return { status: r.status, rows: r.rows, format: r.format, importId: r.importId };
  } catch (e) {
    const err = e as Error & { code?: string };
    return { status: 'failed', code: typeof err.code === 'string' ? err.code : 'E_IMPORT', error: err.message };
  }
}

interface Processed {
  readonly result: FileResult;
  /** Files to fetch instead (the daily files of a monthly file the archive lacks). */
  readonly more: PlannedFile[];
}

async function processFile(file: PlannedFile, opts: DownloadOptions, retry: RetryOptions, emit: (e: DownloadEvent) => void): Promise<Processed> {
  const started = performance.now();
  const url = fileUrl(opts.baseUrl, file.path);
  const path = join(opts.dir, ...file.path.split('/'));
  const base = {
    venue: file.venue, market: file.market, kind: file.kind, symbol: file.symbol, interval: file.interval,
    period: file.period, date: file.label, name: file.name, url, path,
  };
  let bytes = 0;
  const done = (r: Omit<FileResult, keyof typeof base | 'bytes' | 'seconds'>, more: PlannedFile[] = []): Processed => ({
    result: { ...base, ...r, bytes, seconds: (performance.now() - started) / 1000 },
    more,
  });
  emit({ type: 'start', file });
  const fileRetry: RetryOptions = {
    ...retry,
    onRetry: (attempt, error, waitMs) => emit({ type: 'retry', file, attempt, error: error.message, waitMs }),
  };
  const part = {
    ...fileRetry,
    onBytes: (n: number) => {
      bytes += n;
      emit({ type: 'bytes', file, bytes: n });
    },
    onSize: (total: number) => emit({ type: 'size', file, total }),
  };
  const missing = (what: string): Processed => {
    const more = dailyFilesFor(file);
    const note = more.length > 0 ? `monthly file not published; fetching the ${more.length} daily files of ${file.label} instead` : undefined;
    return done({ status: 'missing', error: { code: 'E_NOT_FOUND', message: `${what}: not published (HTTP 404)` }, note }, more);
  };

  try {
    mkdirSync(dirname(path), { recursive: true });
    if (file.checksum) {
      const sumPath = `${path}.CHECKSUM`;
      // 1. Already here and verified: no network.
      if (existsSync(path) && existsSync(sumPath)) {
        const expected = safeChecksum(readFileSync(sumPath, 'utf8'), file.name);
        const sha = expected ? await sha256Of(path) : undefined;
        if (expected && sha === expected) return done({ status: 'present', sha256: sha, size: sizeOf(path), verified: 'sha256' });
      }
      // 2. The published checksum.
      let expected: string;
      try {
        const sum = await fetchText(`${url}.CHECKSUM`, fileRetry);
        bytes += sum.bytes;
        expected = parseChecksum(sum.text, file.name);
      } catch (e) {
        if (e instanceof NotFoundError) return missing(`${file.name}.CHECKSUM`);
        throw e;
      }
      if (existsSync(path)) {
        if ((await sha256Of(path)) === expected) {
          writeAtomic(sumPath, checksumText(expected, file.name));
          return done({ status: 'present', sha256: expected, size: sizeOf(path), verified: 'sha256' });
        }
        rmSync(path, { force: true }); // stale or corrupt: fetch it again
      }
      if (await opts.hooks?.alreadyImported?.(file, expected, undefined)) {
        return done({ status: 'already-imported', sha256: expected, note: 'the store already holds a file with this sha256; not downloaded' });
      }
      // 3. The body, resumable, verified before it becomes the file.
      const partPath = `${path}.part`;
      const got = await downloadVerified(url, partPath, part, async () => {
        const sha = await sha256Of(partPath);
        return sha === expected ? undefined : new FileError('E_CHECKSUM', file.name, `sha256 ${sha} does not match ${file.name}.CHECKSUM (${expected}): download refused, nothing imported`);
      });
      if (!got) return missing(file.name);
      writeAtomic(sumPath, checksumText(expected, file.name));
      renameSync(partPath, path);
      return done({ status: 'downloaded', sha256: expected, size: sizeOf(path), verified: 'sha256', ...got });
    }

    // No checksum published (Bybit): gzip integrity is the check.
    if (existsSync(path)) {
      if (await gzipOk(path)) return done({ status: 'present', size: sizeOf(path), verified: 'gzip' });
      rmSync(path, { force: true });
    }
    if (opts.hooks?.alreadyImported) {
      let size: number | undefined;
      try {
        size = await headSize(url, fileRetry);
      } catch (e) {
        if (e instanceof NotFoundError) return missing(file.name);
        if (e instanceof HostNotFoundError) throw e;
        size = undefined; // a server without HEAD: download and let the importer's ledger decide
      }
      if (size !== undefined && (await opts.hooks.alreadyImported(file, undefined, size))) {
        return done({ status: 'already-imported', size, note: 'the store already holds a file of this name and size; not downloaded' });
      }
    }
    const partPath = `${path}.part`;
    const got = await downloadVerified(url, partPath, part, async () =>
      (await gzipOk(partPath)) ? undefined : new FileError('E_TRUNCATED', file.name, 'the download is not a complete gzip file (no checksum is published to compare with): refused, nothing imported'),
    );
    if (!got) return missing(file.name);
    renameSync(partPath, path);
    return done({ status: 'downloaded', size: sizeOf(path), verified: 'gzip', ...got });
  } catch (e) {
    return done({ status: 'failed', error: { code: failureCode(e), message: (e as Error).message } });
  }
}

/** What a verified download adds to its result: undefined for a fresh part, a Range honoured. */
interface Transfer {
  readonly resumedFrom: number | undefined;
  readonly rangeIgnored: true | undefined;
  readonly attempts: number;
}

/**
 * The body into `partPath`, resumable, and `refusal` of it (undefined when it is good): when the
 * part was resumed and is refused, once more from 0 (the bytes kept from an earlier run may be
 * from another version of the file); refused still, the part is removed and the refusal thrown.
 * Undefined when the server has no such file (404).
 */
async function downloadVerified(url: string, partPath: string, part: PartOptions, refusal: () => Promise<FileError | undefined>): Promise<Transfer | undefined> {
  let got;
  try {
    got = await downloadToPart(url, partPath, part);
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
  let attempts = got.attempts;
  let refused = await refusal();
  if (refused && got.resumedFrom > 0) {
    rmSync(partPath, { force: true });
    const again = await downloadToPart(url, partPath, part);
    attempts += again.attempts;
    refused = await refusal();
  }
  if (refused) {
    rmSync(partPath, { force: true });
    throw refused;
  }
  return { resumedFrom: got.resumedFrom || undefined, rangeIgnored: got.rangeIgnored || undefined, attempts };
}

/** E_CHECKSUM / E_TRUNCATED (ours), E_DNS (host does not resolve), E_HTTP (a status), E_NETWORK (retries spent), E_IO (disk). */
function failureCode(e: unknown): string {
  if (e instanceof HttpError) return 'E_HTTP';
  if (e instanceof NetworkError || isRetryable(e)) return 'E_NETWORK';
  const code = (e as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('E_') ? code : 'E_IO';
}

function safeChecksum(text: string, name: string): string | undefined {
  try {
    return parseChecksum(text, name);
  } catch {
    return undefined;
  }
}

async function gzipOk(path: string): Promise<boolean> {
  try {
    return (await verifyGzip(path)) > 0;
  } catch {
    return false;
  }
}

function sizeOf(path: string): number {
  return statSync(path).size;
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}
