/**
 * The writer's side of reading while recording (docs/SCHEMA.md "Reading while recording").
 *
 * DuckDB lets one process open a file read-write, or many open it read-only, never both. So the
 * process that holds the store (`orderflow record`) answers other commands' queries: it listens
 * on 127.0.0.1 (an ephemeral port and a random token in `<home>/read-endpoint.json`, mode 0600),
 * and runs each query as `COPY (<query>) TO '<home>/tmp/reads/<n>.parquet'` on a DuckDB
 * connection of its own. DuckDB executes the scan and the Parquet write on its own threads, so
 * the writer's event loop (sockets, flush timer) only passes messages. Each reader gets one
 * transaction for its session, so all its queries see every flush committed before it connected
 * and nothing after (DuckDB keeps checkpointing meanwhile). The reader reads the columnar file in
 * its own in-memory DuckDB (src/store/store.ts).
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { DuckDBTypeId, StatementType, type DuckDBConnection } from '@duckdb/node-api';
import { sqlString } from './parquet.ts';
import {
  decodeValues,
  ENDPOINT_FILE,
  MAX_REQUEST_BYTES,
  READS_DIR,
  sqlIdent,
  type EndpointFile,
  type Request,
  type Response,
  type WireColumn,
} from './read-wire.ts';
import type { Store } from './store.ts';

/**
 * Queries run at once across all readers; more wait their turn. Each query is a DuckDB scan on
 * the writer's threads and one libuv worker: two leave the flush's commit (and gzip) workers free.
 */
const MAX_RUNNING = 2;

/** How long a new connection has to send its `hello`. */
const HELLO_WAIT_MS = 5000;

/** Types Parquet does not give back as they were: they travel as text and the reader casts them back. */
const TEXT_TYPES = new Set<DuckDBTypeId>([
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.ENUM,
  DuckDBTypeId.BIT,
  DuckDBTypeId.UNION,
  DuckDBTypeId.TIME_TZ,
  DuckDBTypeId.BIGNUM,
  DuckDBTypeId.TIMESTAMP_S,
]);

export interface ReadEndpointOptions {
  /** `imports` rows this process is writing right now (its recorder sessions). */
  readonly liveImports?: () => readonly number[];
}

/** One connected reader: its DuckDB connection and transaction (from `hello` on), its result files, its queue. */
interface Session {
  readonly socket: Socket;
  readonly n: number;
  authed: boolean;
  conn?: DuckDBConnection;
  running: boolean;
  readonly files: string[];
  /** Requests of one reader run one after another, in the order sent. */
  queue: Promise<void>;
}

export class ReadEndpoint {
  private readonly sessions = new Set<Session>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];
  private sessionCount = 0;
  private fileCount = 0;
  private closed = false;

  private constructor(
    private readonly store: Store,
    private readonly server: Server,
    private readonly token: string,
    private readonly dir: string,
    readonly endpointPath: string,
    private readonly o: ReadEndpointOptions,
  ) {}

  /** Listen on 127.0.0.1 and publish the endpoint in the store's home. */
  static async start(store: Store, o: ReadEndpointOptions = {}): Promise<ReadEndpoint> {
    const dir = join(store.home, READS_DIR);
    // Result files left by a writer that was killed: nobody can be reading them (we hold the lock).
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const server = createServer();
    await new Promise<void>((done, fail) => {
      server.once('error', fail);
      server.listen(0, '127.0.0.1', () => done());
    });
    const token = randomBytes(32).toString('hex');
    const endpoint = new ReadEndpoint(store, server, token, dir, join(store.home, ENDPOINT_FILE), o);
    server.on('connection', (socket) => endpoint.accept(socket));
    const file: EndpointFile = { pid: process.pid, port: (server.address() as { port: number }).port, token, startedAt: new Date().toISOString() };
    // Written whole then renamed, so a reader never sees half a file; 0600 keeps the token to this user.
    const tmp = `${endpoint.endpointPath}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(file), { mode: 0o600 });
    renameSync(tmp, endpoint.endpointPath);
    return endpoint;
  }

  private accept(socket: Socket): void {
    const s: Session = { socket, n: ++this.sessionCount, authed: false, running: false, files: [], queue: Promise.resolve() };
    this.sessions.add(s);
    socket.setNoDelay(true);
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      buffer += text;
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        this.request(s, line);
      }
      if (buffer.length > MAX_REQUEST_BYTES) socket.destroy();
    });
    // A connection that does not prove the token soon is not one of our readers.
    const deadline = setTimeout(() => s.authed || socket.destroy(), HELLO_WAIT_MS);
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(deadline);
      void this.end(s);
    });
  }

  private request(s: Session, line: string): void {
    let req: Request;
    try {
      req = JSON.parse(line) as Request;
    } catch {
      req = undefined as unknown as Request;
    }
    // Not a request of ours (bad JSON, not an object): whoever sent it gets nothing more.
    if (typeof req !== 'object' || req === null || Array.isArray(req)) {
      s.socket.destroy();
      return;
    }
    if (!s.authed) {
      // The first message must carry the token; anything else is not one of our readers.
      if (req.op !== 'hello' || typeof req.token !== 'string' || !sameToken(req.token, this.token)) {
        s.socket.destroy();
        return;
      }
      s.authed = true;
      s.queue = s.queue.then(async () => {
        try {
          // One transaction for the reader's whole session: every query of one command sees the
          // store as of its open, as a read-only open would. DuckDB still checkpoints meanwhile.
          s.conn = await this.store.connect();
          await s.conn.run('BEGIN TRANSACTION');
          this.reply(s, { id: req.id, ok: true, hello: { pid: process.pid, liveImports: [...(this.o.liveImports?.() ?? [])] } });
        } catch (e) {
          this.reply(s, { id: req.id, ok: false, error: (e as Error).message });
        }
      });
      return;
    }
    if (req.op !== 'query') {
      this.reply(s, { id: req.id, ok: false, error: `unknown request ${JSON.stringify(String(req.op))}` });
      return;
    }
    s.queue = s.queue.then(async () => {
      try {
        const answer = await this.query(s, String(req.sql), decodeValues(req.values));
        this.reply(s, { id: req.id, ok: true, ...answer });
      } catch (e) {
        this.reply(s, { id: req.id, ok: false, error: (e as Error).message });
      }
    });
  }

  private reply(s: Session, r: Response): void {
    if (!s.socket.destroyed) s.socket.write(`${JSON.stringify(r)}\n`);
  }

  /** Run one SELECT into a Parquet file, in the reader's transaction. */
  private async query(s: Session, sql: string, values: ReturnType<typeof decodeValues>): Promise<{ path: string; columns: WireColumn[] }> {
    await this.acquire();
    s.running = true;
    try {
      if (this.closed || s.socket.destroyed) throw new Error('the store is closing');
      const conn = s.conn!;
      const extracted = await conn.extractStatements(sql);
      if (extracted.count !== 1) throw new Error(`one statement per query, got ${extracted.count}`);
      const prepared = await extracted.prepare(0);
      // Readers only read: anything but a SELECT is refused before it runs.
      const isSelect = prepared.statementType === StatementType.SELECT;
      prepared.destroySync();
      if (!isSelect) throw new Error('the store is being written by another process: only queries (SELECT) are answered');
      // The result's types once the values are bound (a prepared statement cannot tell them while
      // a parameter's type is open); DuckDB plans LIMIT 0 without scanning.
      const probe = await conn.run(`SELECT * FROM (\n${sql}\n) LIMIT 0`, values);
      const columns: WireColumn[] = probe.columnTypes().map((type, i) => ({ name: probe.columnName(i), type: type.toString(), asText: TEXT_TYPES.has(type.typeId) }));
      const text = columns.filter((c) => c.asText);
      const select = text.length === 0 ? sql : `SELECT * REPLACE (${text.map((c) => `${sqlIdent(c.name)}::VARCHAR AS ${sqlIdent(c.name)}`).join(', ')}) FROM (\n${sql}\n)`;
      const path = join(this.dir, `${process.pid}-${s.n}-${++this.fileCount}.parquet`);
      s.files.push(path);
      // The query's own line breaks keep a trailing `--` comment from swallowing the COPY's tail.
      await conn.run(`COPY (\n${select}\n) TO ${sqlString(path)} (FORMAT parquet, COMPRESSION zstd)`, values);
      return { path, columns };
    } finally {
      s.running = false;
      this.release();
    }
  }

  private acquire(): Promise<void> {
    if (this.running < MAX_RUNNING) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((go) => this.waiting.push(go));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }

  /** A reader went away: stop its query, close its connection, remove its files. */
  private async end(s: Session): Promise<void> {
    if (!this.sessions.delete(s)) return;
    if (s.running) s.conn?.interrupt();
    await s.queue;
    s.conn?.closeSync();
    for (const f of s.files) rmSync(f, { force: true });
  }

  /** Stop answering: the endpoint file goes first (new readers then wait for the lock), then every reader. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      const published = JSON.parse(readFileSync(this.endpointPath, 'utf8')) as EndpointFile;
      if (published.token === this.token) rmSync(this.endpointPath, { force: true });
    } catch {
      // Already gone.
    }
    const closing = new Promise<void>((done) => this.server.close(() => done()));
    const sessions = [...this.sessions];
    for (const s of sessions) s.socket.destroy();
    await Promise.all(sessions.map((s) => this.end(s)));
    await closing;
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function sameToken(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
