/**
 * The reader's side of reading while recording: finds the endpoint the store's writer published
 * (src/store/read-endpoint.ts), proves it holds the token, and asks for query results, which
 * come back as Parquet files the reader's Store reads in its own in-memory DuckDB.
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { DuckDBValue } from '@duckdb/node-api';
import { StoreError } from '../core/errors.ts';
import { encodeValues, ENDPOINT_FILE, type EndpointFile, type Hello, type Response, type WireColumn } from './read-wire.ts';

/** A writer that does not answer `hello` within this is taken as gone. */
const HELLO_TIMEOUT_MS = 2000;

type Pending = { ok: (r: Response) => void; fail: (e: Error) => void };

export class ReadClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private gone: Error | undefined;

  private constructor(
    private readonly socket: Socket,
    readonly pid: number,
  ) {
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      buffer += text;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const r = JSON.parse(buffer.slice(0, nl)) as Response;
        buffer = buffer.slice(nl + 1);
        const p = this.pending.get(r.id);
        this.pending.delete(r.id);
        // Idle, the connection must not keep the process alive (like a DuckDB handle, which does not).
        if (this.pending.size === 0) socket.unref();
        p?.ok(r);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      this.gone ??= new StoreError('E_STORE_WRITER_GONE', `the process writing the store (PID ${pid}) stopped while answering; run the command again`);
      for (const p of this.pending.values()) p.fail(this.gone);
      this.pending.clear();
    });
  }

  /**
   * Connect to the writer published in `<home>/read-endpoint.json`. Undefined when there is none
   * or it does not answer (a writer killed with -9 leaves its file behind).
   */
  static async connect(home: string): Promise<{ client: ReadClient; hello: Hello } | undefined> {
    let ep: EndpointFile;
    try {
      ep = JSON.parse(readFileSync(join(home, ENDPOINT_FILE), 'utf8')) as EndpointFile;
    } catch {
      return undefined;
    }
    if (!(Number.isInteger(ep.port) && ep.port > 0 && ep.port < 65536 && typeof ep.token === 'string')) return undefined;
    const socket = connect({ host: '127.0.0.1', port: ep.port });
    const client = new ReadClient(socket, ep.pid);
    const timer = setTimeout(() => socket.destroy(), HELLO_TIMEOUT_MS);
    try {
      await new Promise<void>((done, fail) => {
        socket.once('connect', done);
        socket.once('close', () => fail(new Error('closed')));
      });
      const r = await client.send({ op: 'hello', token: ep.token });
      return 'hello' in r ? { client, hello: r.hello } : undefined;
    } catch {
      socket.destroy();
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Run a SELECT in the writer; the result is the Parquet file it wrote and the result's columns. */
  async query(sql: string, values?: readonly DuckDBValue[]): Promise<{ path: string; columns: readonly WireColumn[] }> {
    const r = await this.send({ op: 'query', sql, values: encodeValues(values) });
    if (!r.ok) throw new StoreError('E_STORE_QUERY', `query failed in the process writing the store (PID ${this.pid}): ${r.error}`);
    if (!('path' in r)) throw new StoreError('E_STORE_QUERY', 'the store\'s writer answered a query with something else');
    return r;
  }

  private send(req: { op: 'hello'; token: string } | { op: 'query'; sql: string; values: unknown[] }): Promise<Response> {
    if (this.gone) return Promise.reject(this.gone);
    const id = this.nextId++;
    return new Promise((ok, fail) => {
      this.socket.ref();
      this.pending.set(id, { ok, fail });
      this.socket.write(`${JSON.stringify({ id, ...req })}\n`);
    });
  }

  close(): void {
    this.gone ??= new StoreError('E_STORE_QUERY', 'the store was closed while a query was waiting for its answer');
    this.socket.destroy();
  }
}
