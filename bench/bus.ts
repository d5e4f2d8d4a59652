/**
 * Bus benchmark: 3 simulated venues x 50 symbols (`--symbols N` per venue) through recorders'
 * publishers -> NATS JetStream -> the Parquet lake sink, on a real nats-server started on
 * 127.0.0.1 with a temporary store (skipped, said, without one).
 *
 * - floor: raw JetStream publish of the same batches (the same ofb/1 bytes, pre-encoded, no
 *   Msg-Id or headers) to a stream of its own on the same server, three connections publishing a
 *   round's batches at once and waiting for the acks, as the publishers do: what the server and the
 *   client library take before any of our code.
 * - end to end: three `BusPublisher`s (one connection each, as three recorders) publish `--rounds N`
 *   flushes (default 100) of `--per N` trades a symbol (default 20): 300,000 trades in 15,000
 *   batches, as fast as their acks come back; a sink in its own process (this file again,
 *   `--bus-bench-sink`: `BusSink` + `LakeWriter` as `orderflow sink --to parquet:DIR` runs them,
 *   with its default groups of 5000 messages or 5 s, `--flush-ms`) writes the lake. 15,000 is
 *   three full groups, so no group waits out its hold for want of messages: what is measured is
 *   the sink's pace, not its timer. Sustained events/s = events / (first publish -> the last group
 *   durable: COPY'd, fsync'd, renamed). Ratio: against the floor.
 * - latency: the publishers at a steady rate (`--rate N` events/s, default 22,500: the projected
 *   full-market steady rate of docs/SCALING.md, or 70% of the measured end-to-end rate when that
 *   is lower) with the recorders' 250 ms flush, for `--seconds N` (default 10). Publish-to-durable
 *   per batch: the publisher's flush starting -> the sink's group durable, p50 and p99. The sink
 *   holds a group up to its flush period by design: that is the reference (the latency's floor).
 *
 * CPU seconds per million events of the publishers (this process) and of the sink (its process)
 * are printed too: wall-clock rates on a shared machine are weather, CPU is not. The lake is read
 * back at the end: every published trade exactly once, or the bench throws.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { jetstream } from '@nats-io/jetstream';
import { RetentionPolicy, StorageType } from '@nats-io/jetstream';
import { encodeBatch } from '../src/bus/batch-codec.ts';
import { connectBus, type Bus } from '../src/bus/connection.ts';
import { LakeWriter } from '../src/bus/lake-writer.ts';
import { BusPublisher, DEFAULT_PUBLISH_FLUSH_MS } from '../src/bus/publisher.ts';
import { BusSink, DEFAULT_SINK_FLUSH_MS, DEFAULT_SINK_MAX_MESSAGES, type BatchWriter } from '../src/bus/sink.ts';
import { ensureStream } from '../src/bus/stream.ts';
import type { Venue, TradeEvent } from '../src/core/events.ts';
import { Store } from '../src/store/store.ts';
import { NATS_SKIP, startNats } from '../test/helpers/nats.ts';
import { flag } from './flags.ts';
import type { BenchResult } from './run.ts';

const SELF = fileURLToPath(import.meta.url);
const SINK_FLAG = '--bus-bench-sink';
const VENUES: readonly Venue[] = ['binance', 'okx', 'bybit'];
/** Full-market steady rate projected in docs/SCALING.md ("Messages per second per venue"). */
const FULL_MARKET_STEADY = 22_500;

function symbolsOf(venue: Venue, n: number): string[] {
  return Array.from({ length: n }, (_, i) => (venue === 'okx' ? `S${String(i).padStart(3, '0')}-USDT-SWAP` : `S${String(i).padStart(3, '0')}USDT`));
}

/** A venue's trades of one flush: `per` a symbol, ids rising per symbol, exchange time = receipt = `now`. */
function flushTrades(venue: Venue, symbols: readonly string[], per: number, nextId: Map<string, number>, now: number): TradeEvent[] {
  const out: TradeEvent[] = [];
  for (const symbol of symbols) {
    let id = nextId.get(symbol) ?? 1;
    for (let k = 0; k < per; k++, id++) out.push({ type: 'trade', venue, symbol, ts: now - 1 + k / per, localTs: now, price: 100 + (id % 97) * 0.01, qty: 0.001 * (1 + (id % 13)), side: id % 3 === 0 ? 'sell' : 'buy', id: String(id) });
    nextId.set(symbol, id);
  }
  return out;
}

function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

const cpuS = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1e6;

/** The sink's process: prints one JSON line per durable group, and its CPU at the end (stdin closed). */
async function sinkChild(url: string, dir: string, flushMs: number, maxMessages: number): Promise<void> {
  const bus = await connectBus(url, 'bus bench sink');
  const lake = await LakeWriter.open(dir);
  const timed: BatchWriter = {
    target: lake.target,
    async write(group) {
      const t0 = performance.now();
      const r = await lake.write(group);
      const at = Date.now();
      // Each batch's events share the receipt time its publisher's flush started at.
      process.stdout.write(`${JSON.stringify({ at, events: r.events, writeMs: performance.now() - t0, lat: group.map((b) => at - b.batch.events[0].localTs) })}\n`);
      return r;
    },
    close: () => lake.close(),
  };
  const cpu0 = process.cpuUsage();
  const sink = await BusSink.open(bus, timed, { durable: 'bench', flushMs, maxMessages, ackWaitS: Math.max(60, (4 * flushMs) / 1000), deadLetterDir: join(dir, '_dead-letter') });
  process.stdout.write('ready\n');
  const running = sink.run();
  process.stdin.resume();
  await new Promise((r) => process.stdin.once('end', r));
  sink.stop();
  await running;
  await timed.close();
  process.stdout.write(`${JSON.stringify({ cpu: cpuS(process.cpuUsage(cpu0)) })}\n`);
  await bus.nc.close();
}

/** Raw JetStream publish of pre-encoded batches: `rounds` rounds of every venue's batches, each venue on its own connection. */
async function rawFloor(buses: readonly Bus[], payloads: readonly Uint8Array[][], rounds: number, eventsPerRound: number): Promise<number> {
  await buses[0].jsm.streams.add({ name: 'BENCH_RAW', subjects: ['raw.>'], storage: StorageType.File, retention: RetentionPolicy.Limits });
  const t0 = performance.now();
  await Promise.all(
    buses.map(async (b, v) => {
      const js = jetstream(b.nc, { timeout: 10_000 });
      for (let r = 0; r < rounds; r++) await Promise.all(payloads[v].map((p, i) => js.publish(`raw.${v}.${i}`, p)));
    }),
  );
  const s = (performance.now() - t0) / 1000;
  await buses[0].jsm.streams.delete('BENCH_RAW');
  return (rounds * eventsPerRound) / s;
}

async function run(args: string[]): Promise<BenchResult[]> {
  if (NATS_SKIP) {
    console.error(`bus bench: ${NATS_SKIP}`);
    return [];
  }
  const perVenue = flag(args, '--symbols', 50);
  const per = flag(args, '--per', 20);
  const rounds = flag(args, '--rounds', 100);
  const seconds = flag(args, '--seconds', 10);
  const sinkFlushMs = flag(args, '--flush-ms', DEFAULT_SINK_FLUSH_MS);
  const symbols = new Map(VENUES.map((v) => [v, symbolsOf(v, perVenue)]));
  const eventsPerRound = VENUES.length * perVenue * per;
  const started = performance.now();
  const phases: string[] = [];
  const phase = (name: string) => phases.push(`${name} ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const nats = await startNats();
  const lakeDir = mkdtempSync(join(tmpdir(), 'orderflow-bus-bench-'));
  const buses = await Promise.all(VENUES.map((v) => connectBus(nats.url, `bench ${v}`)));
  const sink = spawn(process.execPath, ['--import', 'tsx', SELF, SINK_FLAG, nats.url, lakeDir, String(sinkFlushMs), String(DEFAULT_SINK_MAX_MESSAGES)], { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    await ensureStream(buses[0], { maxAgeHours: 1, maxBytes: 4 * 1024 ** 3 });

    // The floor: the same bytes, raw.
    const ids = new Map<string, number>();
    const payloads = VENUES.map((v) => symbols.get(v)!.map((s) => encodeBatch(v, s, 'trade', flushTrades(v, [s], per, ids, Date.now()))));
    const floor = await rawFloor(buses, payloads, rounds, eventsPerRound);
    phase('floor');

    const groups: { at: number; events: number; writeMs: number; lat: number[] }[] = [];
    let sinkCpu = NaN;
    const lines = createInterface({ input: sink.stdout! });
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    lines.on('line', (l) => {
      if (l === 'ready') return ready();
      const m = JSON.parse(l) as { at?: number; events?: number; lat?: number[]; cpu?: number };
      if (m.cpu !== undefined) sinkCpu = m.cpu;
      else groups.push(m as { at: number; events: number; writeMs: number; lat: number[] });
    });
    await isReady;
    phase('sink ready');
    const durable = () => groups.reduce((n, g) => n + g.events, 0);
    const waitDurable = async (n: number, what: string) => {
      const limit = Date.now() + 120_000;
      while (durable() < n) {
        if (Date.now() > limit) throw new Error(`bus bench: ${what}: ${durable()} of ${n} events durable after 120 s`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };

    // End to end, as fast as the acks come back.
    const publishers = buses.map((b) => new BusPublisher(b));
    const nextId = new Map<string, number>();
    const cpu0 = process.cpuUsage();
    const t0 = Date.now();
    await Promise.all(
      VENUES.map(async (v, i) => {
        for (let r = 0; r < rounds; r++) {
          publishers[i].add(flushTrades(v, symbols.get(v)!, per, nextId, Date.now()));
          await publishers[i].flush();
        }
      }),
    );
    const published = (Date.now() - t0) / 1000;
    const pubCpu = cpuS(process.cpuUsage(cpu0));
    const n1 = rounds * eventsPerRound;
    await waitDurable(n1, 'end to end');
    const e2eS = (groups.at(-1)!.at - t0) / 1000;
    const e2e = n1 / e2eS;
    const g1 = groups.length;
    phase('end to end');

    // Latency at a steady rate, the publishers flushing every 250 ms.
    const rate = flag(args, '--rate', Math.min(FULL_MARKET_STEADY, Math.round(0.7 * e2e)));
    const perTick = Math.max(1, Math.round((rate * DEFAULT_PUBLISH_FLUSH_MS) / 1000 / (VENUES.length * perVenue)));
    const ticks = Math.round((seconds * 1000) / DEFAULT_PUBLISH_FLUSH_MS);
    let late = 0;
    const cpu1 = process.cpuUsage();
    await Promise.all(
      VENUES.map(async (v, i) => {
        const start = performance.now();
        for (let k = 0; k < ticks; k++) {
          const due = start + k * DEFAULT_PUBLISH_FLUSH_MS;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
          else if (wait < -DEFAULT_PUBLISH_FLUSH_MS) late++;
          publishers[i].add(flushTrades(v, symbols.get(v)!, perTick, nextId, Date.now()));
          await publishers[i].flush();
        }
      }),
    );
    const steadyCpu = cpuS(process.cpuUsage(cpu1));
    const n2 = ticks * perTick * VENUES.length * perVenue;
    await waitDurable(n1 + n2, 'steady');
    const lat = groups.slice(g1).flatMap((g) => g.lat);
    phase('steady');
    sink.stdin!.end();
    await new Promise((r) => sink.once('exit', r));

    // Every published trade once in the lake.
    const check = await Store.openMemory();
    const [row] = await check.rows<{ n: bigint; d: bigint }>(`SELECT count(*) AS n, count(DISTINCT (venue, symbol, trade_id)) AS d FROM read_parquet('${join(lakeDir, 'trades')}/**/*.parquet', hive_partitioning = true)`);
    check.close();
    if (Number(row.n) !== n1 + n2 || Number(row.d) !== n1 + n2) throw new Error(`bus bench: the lake holds ${row.n} trades (${row.d} distinct), ${n1 + n2} were published`);

    const actualRate = n2 / seconds;
    console.error(
      `bus bench: ${VENUES.length} venues x ${perVenue} symbols, ${per} trades a symbol a flush; floor ${Math.round(floor)} ev/s raw publish; ` +
        `end to end ${n1} events: published in ${published.toFixed(1)} s (${Math.round(n1 / published)} ev/s, ${(pubCpu / (n1 / 1e6)).toFixed(2)} CPU s per M), durable after ${e2eS.toFixed(1)} s in ${g1} groups (writes ${groups.slice(0, g1).map((g) => (g.writeMs / 1000).toFixed(1)).join(', ')} s); ` +
        `steady ${Math.round(actualRate)} ev/s (${perTick} a symbol a flush, ${late} flushes late) for ${seconds} s: ${lat.length} batches, publish->durable p50 ${quantile(lat, 0.5).toFixed(0)} ms p99 ${quantile(lat, 0.99).toFixed(0)} ms (sink groups ${sinkFlushMs} ms, ${groups.length - g1} groups, writes p50 ${(quantile(groups.slice(g1).map((g) => g.writeMs), 0.5) / 1000).toFixed(1)} s); ` +
        `CPU: publishers ${((pubCpu + steadyCpu) / ((n1 + n2) / 1e6)).toFixed(2)} s per M events, sink ${(sinkCpu / ((n1 + n2) / 1e6)).toFixed(2)} s per M; lake checked: ${row.n} trades once each; wall: ${phases.join(', ')}`,
    );
    return [
      { bench: 'bus', metric: 'e2e-events/s', ours: e2e, reference: floor, referenceName: 'raw JetStream publish', ratio: e2e / floor, target: 'ratio >= 0.25; >= 22,500 ev/s (full-market steady)' },
      { bench: 'bus', metric: 'publish-events/s', ours: n1 / published, reference: floor, referenceName: 'raw JetStream publish', ratio: n1 / published / floor, target: 'ratio >= 0.8' },
      { bench: 'bus', metric: `p99-pub-durable-ms@${Math.round(actualRate)}`, ours: quantile(lat, 0.99), reference: sinkFlushMs, referenceName: 'sink group hold', ratio: sinkFlushMs / quantile(lat, 0.99), target: '<= 2x the group hold' },
      { bench: 'bus', metric: 'sink-cpu-s/M-events', ours: sinkCpu / ((n1 + n2) / 1e6), reference: (pubCpu + steadyCpu) / ((n1 + n2) / 1e6), referenceName: 'publishers CPU s/M', ratio: (pubCpu + steadyCpu) / sinkCpu, target: 'report' },
    ];
  } finally {
    if (sink.exitCode === null) sink.kill('SIGKILL');
    await Promise.all(buses.map((b) => b.nc.close().catch(() => {})));
    await nats.stop();
    rmSync(lakeDir, { recursive: true, force: true });
  }
}

if (process.argv[2] === SINK_FLAG) {
  const [url, dir, flushMs, maxMessages] = process.argv.slice(3);
  await sinkChild(url, dir, Number(flushMs), Number(maxMessages));
}

export const busBench = {
  description: 'recorders (3 venues x 50 symbols) -> NATS JetStream -> Parquet lake sink: end-to-end events/s and p99 publish-to-durable against raw publish',
  run,
};
