/**
 * A loopback HTTP server that serves a directory tree laid out exactly like the public archives
 * (Binance `data/futures/...zip` with `.CHECKSUM` files, Bybit `trading/<SYMBOL>/...csv.gz`), so
 * the downloader, the offline demo and tests run the same code they run against the real sites.
 *
 * It honours `Range: bytes=<start>-[<end>]` (206 with Content-Range, 416 past the end) and HEAD,
 * answers 404 for anything not in the tree, logs every request, and has fault switches that can
 * be flipped between requests:
 *   - `cutAfterBytes` (+ `cutTimes`): send that many body bytes, then drop the connection
 *   - `failFirst`: answer 500 to the first K requests (`failStatus` to pick another status)
 *   - `wrongChecksum`: serve a .CHECKSUM whose sha256 is not the file's (all, or names matching)
 *   - `ignoreRange`: answer Range requests with 200 and the whole file
 *   - `bytesPerSecond`: throttle bodies (progress bars, timeouts)
 *
 * Files are read from `root`; `put()` adds one (and its .CHECKSUM for Binance paths) from any
 * source of bytes, so the tree can be fed by fixtures, a generator or a simulator.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, normalize, sep } from 'node:path';
import { checksumText } from './layout.ts';

export interface ArchiveFaults {
  /** Drop the connection after this many body bytes (of a GET of a non-.CHECKSUM file). */
  cutAfterBytes?: number;
  /** How many responses to cut (default: all while cutAfterBytes is set). */
  cutTimes?: number;
  /** Answer the first K requests with `failStatus` (500). */
  failFirst?: number;
  failStatus?: number;
  /** Serve a wrong sha256 in .CHECKSUM files: all of them, or those whose name includes the string. */
  wrongChecksum?: boolean | string;
  /** Ignore Range headers: always 200 with the whole body. */
  ignoreRange?: boolean;
  /** Throttle response bodies. */
  bytesPerSecond?: number;
}

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly range?: string;
  readonly status: number;
  /** Body bytes written (before any cut). */
  bytes: number;
  readonly cut: boolean;
}

export interface MockArchiveServer {
  /** `http://127.0.0.1:<port>`: pass as --base-url or ORDERFLOW_<VENUE>_ARCHIVE_URL. */
  readonly url: string;
  readonly port: number;
  readonly root: string;
  /** Mutable: change between requests. */
  readonly faults: ArchiveFaults;
  readonly log: LoggedRequest[];
  /** Write a file into the tree at an archive path; Binance `.zip` paths get their .CHECKSUM. */
  put(path: string, body: Buffer | string): string;
  close(): Promise<void>;
}

export async function startMockArchiveServer(opts: { root: string; faults?: ArchiveFaults; host?: string }): Promise<MockArchiveServer> {
  const root = normalize(opts.root);
  const faults: ArchiveFaults = { ...opts.faults };
  const log: LoggedRequest[] = [];
  let requests = 0;
  let cuts = 0;

  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const rawPath = decodeURIComponent((req.url ?? '/').split('?')[0]);
    const rel = rawPath.replace(/^\/+/, '');
    const range = typeof req.headers.range === 'string' ? req.headers.range : undefined;
    const entry: LoggedRequest = { method, path: rawPath, range, status: 0, bytes: 0, cut: false };
    log.push(entry);
    const reply = (status: number, headers: http.OutgoingHttpHeaders = {}, body?: Buffer) => {
      (entry as { status: number }).status = status;
      res.writeHead(status, { 'accept-ranges': 'bytes', ...headers, 'content-length': body?.length ?? 0 });
      if (method === 'HEAD' || !body) {
        res.end();
        return;
      }
      writeBody(body);
    };
    const writeBody = (body: Buffer) => {
      const isChecksum = rel.endsWith('.CHECKSUM');
      const cutAt = faults.cutAfterBytes !== undefined && !isChecksum && cuts < (faults.cutTimes ?? Infinity) ? faults.cutAfterBytes : undefined;
      const send = cutAt !== undefined && cutAt < body.length ? body.subarray(0, cutAt) : body;
      const cut = send.length < body.length;
      if (cut) {
        cuts++;
        (entry as { cut: boolean }).cut = true;
      }
      const finish = () => {
        if (cut) {
          // Let what was written reach the client, then drop the connection mid-body.
          res.socket?.end();
          setTimeout(() => res.socket?.destroy(), 20);
        } else res.end();
      };
      if (!faults.bytesPerSecond) {
        entry.bytes = send.length;
        if (send.length > 0) res.write(send, finish);
        else finish();
        return;
      }
      const chunk = Math.max(1, Math.floor(faults.bytesPerSecond / 20));
      let off = 0;
      const tick = () => {
        if (res.destroyed) return;
        const piece = send.subarray(off, off + chunk);
        off += piece.length;
        entry.bytes = off;
        if (off >= send.length) res.write(piece, finish);
        else res.write(piece, () => setTimeout(tick, 50));
      };
      tick();
    };

    requests++;
    if (faults.failFirst !== undefined && requests <= faults.failFirst) {
      reply(faults.failStatus ?? 500, { 'content-type': 'text/plain' }, Buffer.from('injected failure\n'));
      return;
    }
    if (method !== 'GET' && method !== 'HEAD') {
      reply(405, { allow: 'GET, HEAD' });
      return;
    }
    const file = normalize(join(root, rel));
    if (!(file === root || file.startsWith(root + sep)) || !existsSync(file) || !statSync(file).isFile()) {
      reply(404, { 'content-type': 'application/xml' }, Buffer.from('<Error><Code>NoSuchKey</Code></Error>\n'));
      return;
    }
    let body = readFileSync(file);
    if (rel.endsWith('.CHECKSUM') && wrongFor(faults.wrongChecksum, rel)) {
      const name = rel.slice(rel.lastIndexOf('/') + 1, -'.CHECKSUM'.length);
      const wrong = createHash('sha256').update(`not ${name}`).digest('hex');
      body = Buffer.from(checksumText(wrong, name));
    }
    const type = rel.endsWith('.zip') ? 'application/zip' : rel.endsWith('.gz') ? 'application/gzip' : 'text/plain';
    if (range && !faults.ignoreRange) {
      const m = /^bytes=(\d+)-(\d*)$/.exec(range.trim());
      if (m) {
        const start = Number(m[1]);
        const end = m[2] === '' ? body.length - 1 : Math.min(Number(m[2]), body.length - 1);
        if (start >= body.length || end < start) {
          reply(416, { 'content-range': `bytes */${body.length}` });
          return;
        }
        reply(206, { 'content-type': type, 'content-range': `bytes ${start}-${end}/${body.length}` }, body.subarray(start, end + 1));
        return;
      }
    }
    reply(200, { 'content-type': type }, body);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    root,
    faults,
    log,
    put(path: string, body: Buffer | string): string {
      return putArchiveFile(root, path, body);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function wrongFor(flag: ArchiveFaults['wrongChecksum'], path: string): boolean {
  if (flag === true) return true;
  return typeof flag === 'string' && path.includes(flag);
}

/**
 * Write `body` at `<root>/<path>`; for a Binance `.zip` also write the `.CHECKSUM` the archive
 * publishes beside it (`<sha256>  <name>`). Returns the file's path.
 */
export function putArchiveFile(root: string, path: string, body: Buffer | string): string {
  const file = join(root, ...path.split('/'));
  mkdirSync(dirname(file), { recursive: true });
  const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body);
  writeFileSync(file, bytes);
  if (path.endsWith('.zip')) {
    const name = path.slice(path.lastIndexOf('/') + 1);
    writeFileSync(`${file}.CHECKSUM`, checksumText(createHash('sha256').update(bytes).digest('hex'), name));
  }
  return file;
}
