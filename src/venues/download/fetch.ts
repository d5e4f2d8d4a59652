/**
 * HTTP for the archive downloader, on node:http / node:https: small text files (checksums), sizes
 * (HEAD), and resumable file downloads into `<file>.part`.
 *
 * Resume: when the part file holds bytes, the request carries `Range: bytes=<size>-`; a 206 whose
 * Content-Range starts there is appended, a 200 (a server that ignores Range) restarts the part
 * from 0, a 416 whose total equals the part's size means the part is already complete. A response
 * shorter than its Content-Length (connection cut) is a network error: it is retried, and the retry
 * resumes from what reached the disk. Retries: network errors, 5xx and 429, bounded, exponential
 * backoff with jitter. 404 is `NotFoundError` (the file does not exist) and never retried.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, statSync, truncateSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { once } from 'node:events';
import { createGunzip } from 'node:zlib';

export interface RetryOptions {
  /** Attempts after the first one (network errors, 5xx, 429). */
  readonly retries: number;
  /** First backoff; doubles per attempt, with jitter, capped at 30x. */
  readonly retryBaseMs: number;
  /** Idle socket timeout. */
  readonly timeoutMs: number;
  /** Called before each retry (for logs). */
  readonly onRetry?: (attempt: number, error: Error, waitMs: number) => void;
}

export const DEFAULT_RETRY: RetryOptions = { retries: 4, retryBaseMs: 500, timeoutMs: 30_000 };

const USER_AGENT = 'orderflow-downloader/0.1 (+https://github.com/)';
const MAX_REDIRECTS = 5;

/** An HTTP status we did not want. */
export class HttpError extends Error {
  override readonly name: string = 'HttpError';
  constructor(
    readonly url: string,
    readonly status: number,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(`${url}: HTTP ${status}${status === 404 ? ' (not found)' : ''}`);
  }
}

/** 404: the archive does not have this file (a day before listing, a kind this symbol lacks). */
export class NotFoundError extends HttpError {
  override readonly name = 'NotFoundError';
  constructor(url: string) {
    super(url, 404, false);
  }
}

/** A transfer that broke off (reset, early end, timeout): retryable. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
  constructor(
    readonly url: string,
    detail: string,
  ) {
    super(`${url}: ${detail}`);
  }
}

/**
 * The archive's host name does not resolve (ENOTFOUND, EAI_AGAIN): no file of the run can be
 * fetched, so it is not retried and the run stops (downloader.ts).
 */
export class HostNotFoundError extends Error {
  override readonly name = 'HostNotFoundError';
  readonly code = 'E_DNS';
  constructor(
    readonly url: string,
    readonly host: string,
    readonly dnsCode: string,
  ) {
    super(`cannot resolve ${host} (${dnsCode}): no file can be fetched; check the network connection and DNS, or --base-url`);
  }
}

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN']);

export function isRetryable(e: unknown): boolean {
  if (e instanceof HttpError) return e.retryable;
  if (e instanceof NetworkError) return true;
  const code = (e as NodeJS.ErrnoException)?.code;
  return typeof code === 'string' && /^(ECONNRESET|ECONNREFUSED|ECONNABORTED|EPIPE|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ERR_STREAM_PREMATURE_CLOSE|UND_ERR_SOCKET)$/.test(code);
}

export function backoffMs(attempt: number, opts: Pick<RetryOptions, 'retryBaseMs'>, random = Math.random): number {
  const base = opts.retryBaseMs * 2 ** attempt;
  return Math.min(base, opts.retryBaseMs * 30) * (0.5 + random() / 2);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Run `once` until it succeeds, a non-retryable error, or the retries are spent. */
export async function withRetries<T>(url: string, opts: RetryOptions, once: (attempt: number) => Promise<T>): Promise<{ value: T; attempts: number }> {
  for (let attempt = 0; ; attempt++) {
    try {
      return { value: await once(attempt), attempts: attempt + 1 };
    } catch (e) {
      if (!isRetryable(e) || attempt >= opts.retries) throw asError(url, e);
      const wait = e instanceof HttpError && e.retryAfterMs !== undefined ? Math.min(e.retryAfterMs, 60_000) : backoffMs(attempt, opts);
      opts.onRetry?.(attempt + 1, asError(url, e), wait);
      await sleep(wait);
    }
  }
}

function asError(url: string, e: unknown): Error {
  if (e instanceof HttpError || e instanceof NetworkError || e instanceof HostNotFoundError) return e;
  if (e instanceof Error) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== undefined && DNS_CODES.has(code)) return new HostNotFoundError(url, (e as { hostname?: string }).hostname ?? hostOf(url), code);
    return isRetryable(e) ? new NetworkError(url, `${code ?? ''} ${e.message}`.trim()) : e;
  }
  return new Error(String(e));
}

function hostOf(url: string): string {
  try {
    return new URL(url).hostname;
  } catch {
    return url;
  }
}

interface Response {
  readonly res: http.IncomingMessage;
  readonly url: string;
}

/** One request, following redirects; the caller consumes or destroys the body. */
function request(method: 'GET' | 'HEAD', url: string, headers: Record<string, string>, timeoutMs: number, redirects = 0): Promise<Response> {
  return new Promise((resolve, reject) => {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      reject(new Error(`not a URL: ${url}`));
      return;
    }
    const lib = u.protocol === 'https:' ? https : http;
    const req = lib.request(u, { method, headers: { 'user-agent': USER_AGENT, ...headers } }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location && status !== 304) {
        res.resume();
        if (redirects >= MAX_REDIRECTS) {
          reject(new HttpError(url, status, false));
          return;
        }
        request(method, new URL(res.headers.location, u).toString(), headers, timeoutMs, redirects + 1).then(resolve, reject);
        return;
      }
      res.setTimeout(timeoutMs, () => res.destroy(new NetworkError(url, `no data for ${timeoutMs} ms`)));
      resolve({ res, url });
    });
    req.setTimeout(timeoutMs, () => req.destroy(new NetworkError(url, `no response for ${timeoutMs} ms`)));
    req.on('error', (e) => reject(asError(url, e)));
    req.end();
  });
}

function statusError(url: string, res: http.IncomingMessage): HttpError {
  res.resume();
  const status = res.statusCode ?? 0;
  if (status === 404) return new NotFoundError(url);
  const retryAfter = Number(res.headers['retry-after']);
  const retryable = status >= 500 || status === 429 || status === 408;
  return new HttpError(url, status, retryable, Number.isFinite(retryAfter) ? retryAfter * 1000 : undefined);
}

/** A small text file (a .CHECKSUM), with retries. */
export async function fetchText(url: string, opts: RetryOptions = DEFAULT_RETRY): Promise<{ text: string; bytes: number; attempts: number }> {
  const { value, attempts } = await withRetries(url, opts, async () => {
    const { res } = await request('GET', url, {}, opts.timeoutMs);
    if (res.statusCode !== 200) throw statusError(url, res);
    const chunks: Buffer[] = [];
    try {
      for await (const c of res) chunks.push(c as Buffer);
    } catch (e) {
      throw asError(url, e);
    }
    if (!res.complete) throw new NetworkError(url, 'connection closed before the end of the body');
    return Buffer.concat(chunks);
  });
  return { text: value.toString('utf8'), bytes: value.length, attempts };
}

/** The size a HEAD reports, or undefined when the server does not say. */
export async function headSize(url: string, opts: RetryOptions = DEFAULT_RETRY): Promise<number | undefined> {
  const { value } = await withRetries(url, opts, async () => {
    const { res } = await request('HEAD', url, {}, opts.timeoutMs);
    if (res.statusCode !== 200) throw statusError(url, res);
    res.resume();
    const n = Number(res.headers['content-length']);
    return Number.isFinite(n) && res.headers['content-length'] !== undefined ? n : undefined;
  });
  return value;
}

export interface PartResult {
  /** Bytes received in this call (all attempts). */
  readonly bytes: number;
  /** Size of the complete part file. */
  readonly size: number;
  /** Bytes already in the part file when the call started (0: fresh). */
  readonly resumedFrom: number;
  /** The server answered a Range request with the whole file (200): the part restarted from 0. */
  readonly rangeIgnored: boolean;
  readonly attempts: number;
}

export interface PartOptions extends RetryOptions {
  /** Bytes as they arrive. */
  readonly onBytes?: (n: number) => void;
  /** The total size, once a response says it. */
  readonly onSize?: (total: number) => void;
}

function fileSize(path: string): number {
  return statSync(path, { throwIfNoEntry: false })?.size ?? 0;
}

/** `bytes 100-199/200` -> {start 100, total 200}; `bytes *\/200` (416) -> {total 200}. */
export function parseContentRange(text: string | undefined): { start?: number; total?: number } | undefined {
  const m = text ? /^bytes\s+(?:(\d+)-(\d+)|\*)\/(\d+|\*)$/.exec(text.trim()) : null;
  if (!m) return undefined;
  return { start: m[1] !== undefined ? Number(m[1]) : undefined, total: m[3] !== '*' ? Number(m[3]) : undefined };
}

/**
 * Download `url` into `partPath`, resuming from the bytes already there. Resolves when the part
 * file holds the whole body (as far as the server's lengths say); verification is the caller's.
 */
export async function downloadToPart(url: string, partPath: string, opts: PartOptions = DEFAULT_RETRY): Promise<PartResult> {
  const resumedFrom = fileSize(partPath);
  let bytes = 0;
  let rangeIgnored = false;
  const { attempts } = await withRetries(url, opts, async () => {
    const have = fileSize(partPath);
    const { res } = await request('GET', url, have > 0 ? { range: `bytes=${have}-` } : {}, opts.timeoutMs);
    const status = res.statusCode ?? 0;
    let append = false;
    let expected: number | undefined;
    if (status === 206 && have > 0) {
      const cr = parseContentRange(res.headers['content-range']);
      if (cr?.start !== have) {
        // Not the range we asked for: start over cleanly.
        res.destroy();
        truncateSync(partPath, 0);
        throw new NetworkError(url, `asked for bytes ${have}- but got ${JSON.stringify(res.headers['content-range'])}; restarting from 0`);
      }
      append = true;
      expected = cr.total;
    } else if (status === 200) {
      if (have > 0) rangeIgnored = true;
      const n = Number(res.headers['content-length']);
      expected = res.headers['content-length'] !== undefined && Number.isFinite(n) ? n : undefined;
    } else if (status === 416 && have > 0) {
      res.resume();
      const total = parseContentRange(res.headers['content-range'])?.total;
      if (total === have) {
        opts.onSize?.(total);
        return; // already complete
      }
      truncateSync(partPath, 0);
      throw new NetworkError(url, `range ${have}- not satisfiable (server size ${total ?? 'unknown'}); restarting from 0`);
    } else {
      throw statusError(url, res);
    }
    if (expected !== undefined) opts.onSize?.(expected);
    const start = append ? have : 0;
    let got = 0;
    // Every byte received reaches the disk, even when the transfer breaks off: the part file is
    // always a prefix of the body, which is what the next Range request continues from.
    const out = createWriteStream(partPath, { flags: append ? 'a' : 'w' });
    let failure: unknown;
    try {
      for await (const chunk of res as AsyncIterable<Buffer>) {
        got += chunk.length;
        bytes += chunk.length;
        opts.onBytes?.(chunk.length);
        if (!out.write(chunk)) await once(out, 'drain');
      }
    } catch (e) {
      failure = e;
    }
    await new Promise<void>((resolve, reject) => out.end((e?: Error | null) => (e ? reject(e) : resolve())));
    if (failure !== undefined) {
      throw failure instanceof Error && /aborted/i.test(failure.message) ? new NetworkError(url, `connection closed after ${start + got} bytes`) : asError(url, failure);
    }
    if (!res.complete) throw new NetworkError(url, `connection closed after ${start + got} bytes`);
    if (expected !== undefined && start + got !== expected) {
      throw new NetworkError(url, `received ${start + got} of ${expected} bytes`);
    }
  });
  return { bytes, size: fileSize(partPath), resumedFrom, rangeIgnored, attempts };
}

/** sha256 of a file, streamed. */
export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Whether a .gz decompresses to its end with every member's CRC and length right (zlib checks the
 * trailer): the integrity check for archives that publish no checksum. Resolves with the
 * decompressed size, rejects with the zlib error.
 */
export function verifyGzip(path: string): Promise<number> {
  // Settles on the decompressor's own 'end' or 'error': a truncated stream reports its error only
  // after all input was written, so waiting for the write side (as pipeline() does) can pass it.
  return new Promise((resolve, reject) => {
    let out = 0;
    const src = createReadStream(path, { highWaterMark: 1 << 20 });
    const gunzip = createGunzip();
    gunzip.on('data', (c: Buffer) => {
      out += c.length;
    });
    gunzip.once('end', () => resolve(out));
    gunzip.on('error', reject);
    src.on('error', (e) => {
      gunzip.destroy();
      reject(e);
    });
    src.pipe(gunzip);
  });
}
