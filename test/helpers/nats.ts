/**
 * A real nats-server with JetStream for the bus tests: Debian's `nats-server` package (`.ci/run`
 * installs it when it can), started on 127.0.0.1 on a free port with a temporary store folder,
 * killed and removed after. Tests that need it skip with `NATS_SKIP` as the reason when there is none.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connectBus, type Bus } from '../../src/bus/connection.ts';
import { ensureStream } from '../../src/bus/stream.ts';

/** nats-server's path: $NATS_SERVER, else the one on PATH or in /usr/sbin (Debian puts it there), else null. */
export function findNatsServer(): string | null {
  if (process.env.NATS_SERVER) return process.env.NATS_SERVER;
  try {
    const p = execFileSync('sh', ['-c', 'PATH="$PATH:/usr/sbin:/usr/local/sbin" command -v nats-server'], { encoding: 'utf8' }).trim();
    if (p) return p;
  } catch {
    // not installed
  }
  return null;
}

export const NATS_SERVER = findNatsServer();

/** `it(..., { skip: NATS_SKIP })`: false when nats-server is there, else the reason it is not. */
export const NATS_SKIP: false | string = NATS_SERVER ? false : 'nats-server not found (apt-get install nats-server, or set NATS_SERVER): skipping the bus test';

export interface NatsServer {
  readonly url: string;
  readonly port: number;
  /** Its JetStream store folder. */
  readonly dir: string;
  /** Stop it (kill) and remove its store; the store is kept with `keepStore` (for a restart). */
  stop(keepStore?: boolean): Promise<void>;
}

export async function startNats(o: { port?: number; dir?: string } = {}): Promise<NatsServer> {
  if (!NATS_SERVER) throw new Error(NATS_SKIP as string);
  const dir = o.dir ?? mkdtempSync(join(tmpdir(), 'orderflow-nats-'));
  // Without a port, nats-server picks a free one itself (-1) and logs it: a port found free here
  // and handed over could be taken in between by another test file running beside this one.
  const child: ChildProcess = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(o.port ?? -1), '-js', '-sd', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nats-server did not start in 10 s:\n${log}`)), 10_000);
    child.stderr!.on('data', (d) => {
      log += d;
      if (log.includes('Server is ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`nats-server exited with ${code}:\n${log}`));
    });
  });
  child.stderr!.resume();
  const port = Number(/Listening for client connections on [^\n]*:(\d+)\n/.exec(log)?.[1]);
  if (!(port > 0) || (o.port !== undefined && port !== o.port)) {
    child.kill('SIGKILL');
    throw new Error(`nats-server's client port is not ${o.port ?? 'in its log'}:\n${log}`);
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    dir,
    async stop(keepStore = false) {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGKILL');
        await exited;
      }
      if (!keepStore) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The stream limits the bus tests use: an hour, 256 MiB. */
export const TEST_STREAM = { maxAgeHours: 1, maxBytes: 256 * 1024 ** 2 };

/** A nats-server, a connection named `test` to it and the orderflow stream made: the bus tests' common start. */
export async function startNatsBus(): Promise<{ nats: NatsServer; bus: Bus }> {
  const nats = await startNats();
  const bus = await connectBus(nats.url, 'test');
  await ensureStream(bus, TEST_STREAM);
  return { nats, bus };
}
