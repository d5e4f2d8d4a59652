/**
 * Paper benchmark: the simulator's market (`long-cascade`, every agent on Binance, OKX and Bybit)
 * served by the three loopback exchanges (src/sim/serve.ts) at `--rate N` events per second
 * combined (default 50,000: the simulated clock runs at rate / the scenario's events per simulated
 * second, ~780x; `--rate 0`: as fast as the servers go) for `--seconds N` (default 90) into an
 * in-process paper session (`PaperRun.start`, as `orderflow paper` starts it) on a temporary store. The servers and the
 * simulator run in a child process (this file again, `--paper-bench-server`), so generating and
 * encoding the market does not share the session's event loop.
 *
 * Measured through the session's probe (PaperOptions.probe: taps that change nothing):
 * - decode (the reference): frame receipt (the socket's epoch ns) to the first handler of that
 *   frame's events, i.e. the venue parse and checks of the same frames, in the same run;
 * - event latency: frame receipt to the end of the kernel push that took the frame's events
 *   (features and strategy updated on them), for every frame;
 * - decision latency: for each signal and order, the receipt of the earliest frame that carried
 *   exchange time up to the decision's ts, to the end of the push that made it (this includes the
 *   watermark's hold: the rows wait until every stream has passed their time, docs/PAPER.md);
 * - decision latency from the release: for each signal and order made by a push that a frame
 *   triggered, the receipt of the frame whose records moved the watermark past held rows (the
 *   session's onWatermarkMoved) to the end of the push: decode, any wait on the event loop,
 *   features, strategy and kernel, without the hold;
 * - release latency: the same for every push a frame triggered, decisions or not (decisions are
 *   too few for a p99): the frame -> features -> strategy path the < 1 ms target is about;
 * - event-loop delay (perf_hooks monitorEventLoopDelay): what a frame ready in its socket may wait
 *   before the session reads it, which no receipt above sees;
 * - journal commit durations (the journal's own timings);
 * - RSS sampled every second against the kernel's simulated time: first, last, and the slope
 *   (least squares over the samples after the first quarter of the simulated span) in MB per
 *   simulated day. 14 simulated days of the scenario at 50k events/s is ~26 minutes of wall time;
 *   `--sparse-days 14` serves instead a thin market (a trade per venue every 10 s, a ticker a
 *   minute) over 14 days, which `--rate 0` runs through in about a minute.
 *
 * The session runs the default config (its 4-day warm-up included: the catch-up skips the windows
 * before the first stored row, src/paper/stored-feed.ts, so a fresh store costs no empty reads).
 * Its first push (the catch-up of what was stored while the session settled) is reported apart
 * (`first_push_ms`), and latencies count only frames received from `--warmup N` seconds
 * (default 20) after it, once the backlog it left is caught up.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { EMPTY_TICKER_FIELDS, type CaptureRecord, type MarketEvent } from '../src/core/events.ts';
import { parseConfig } from '../src/engine/config.ts';
import type { EngineProgress } from '../src/engine/engine.ts';
import { PaperRun } from '../src/paper/paper-run.ts';
import type { ReleaseMix } from '../src/paper/push-feed.ts';
import { liveSimConfig, serveSimulation, type SimServing } from '../src/sim/serve.ts';
import { simConfig, simulate } from '../src/sim/simulate.ts';
import type { SimRun } from '../src/sim/types.ts';
import { Store } from '../src/store/store.ts';
import { epochNs } from '../src/venues/live/socket.ts';
import { flag } from './flags.ts';
import { PushLog } from './paper-pushes.ts';
import type { BenchResult } from './run.ts';

const SELF = fileURLToPath(import.meta.url);
const SERVER_FLAG = '--paper-bench-server';
const SCENARIO = 'long-cascade';
const DAY_MS = 86_400_000;
const SIM_DAYS = 14;

/** Log-scale histogram of durations in ms (1 µs to ~4.6 h, 16 buckets per doubling): allocation-free. */
class Hist {
  private readonly b = new Float64Array(24 * 16 + 64);
  n = 0;
  add(ms: number): void {
    const us = Math.max(1, ms * 1000);
    this.b[Math.min(this.b.length - 1, Math.floor(Math.log2(us) * 16))]++;
    this.n++;
  }
  /** The upper edge of the bucket holding quantile q, ms (within ~4%). */
  q(q: number): number {
    if (this.n === 0) return NaN;
    const want = q * this.n;
    let acc = 0;
    for (let i = 0; i < this.b.length; i++) {
      acc += this.b[i];
      if (acc >= want) return 2 ** ((i + 1) / 16) / 1000;
    }
    return NaN;
  }
}

/**
 * Frames received and not yet pushed into the kernel, in receipt order: exchange-time span and
 * receipt (ms since `base`). Frames leave from the front once the watermark has passed them (a
 * frame behind one still held leaves with it: its latency is over-, never under-stated), so a
 * push per frame costs the frames it releases, not the backlog.
 */
class Pending {
  minTs: Float64Array = new Float64Array(1 << 16);
  maxTs: Float64Array = new Float64Array(1 << 16);
  recv: Float64Array = new Float64Array(1 << 16);
  head = 0;
  n = 0;
  add(minTs: number, maxTs: number, recv: number): void {
    if (this.n === this.recv.length) {
      // Reclaim what left from the front; grow when the backlog itself fills the arrays.
      const live = this.n - this.head;
      const size = live * 2 > this.recv.length ? this.recv.length * 2 : this.recv.length;
      const move = (a: Float64Array) => {
        const b = size === a.length ? a : new Float64Array(size);
        b.set(a.subarray(this.head, this.n));
        return b;
      };
      this.minTs = move(this.minTs);
      this.maxTs = move(this.maxTs);
      this.recv = move(this.recv);
      this.n = live;
      this.head = 0;
    }
    this.minTs[this.n] = minTs;
    this.maxTs[this.n] = maxTs;
    this.recv[this.n++] = recv;
  }
  /** The earliest receipt of a frame carrying exchange time at or past `ts`. */
  firstReaching(ts: number): number {
    let best = Infinity;
    for (let i = this.head; i < this.n; i++) if (this.maxTs[i] >= ts && this.recv[i] < best) best = this.recv[i];
    return best;
  }
  /** Frames at the front wholly before the watermark leave, each one's latency to `now` noted (those received before `from` in `early`). */
  drain(watermark: number, now: number, into: Hist, from = -Infinity, early = into): void {
    while (this.head < this.n && this.maxTs[this.head] < watermark) {
      const r = this.recv[this.head++];
      (r >= from ? into : early).add(now - r);
    }
  }
}

interface Sample {
  readonly wallS: number;
  readonly simDays: number;
  readonly rssMb: number;
}

/** Least-squares slope of rss over simulated days. */
function slope(s: readonly Sample[]): number {
  const n = s.length;
  if (n < 2) return NaN;
  const mx = s.reduce((a, x) => a + x.simDays, 0) / n;
  const my = s.reduce((a, x) => a + x.rssMb, 0) / n;
  let num = 0;
  let den = 0;
  for (const x of s) {
    num += (x.simDays - mx) * (x.rssMb - my);
    den += (x.simDays - mx) ** 2;
  }
  return num / den;
}

/**
 * `--sparse-days D`: a thin market over D simulated days, so that days of exchange time flow
 * through the session within the run (the RSS question): per venue a trade every 10 s (a slow
 * daily swing, alternate sides, ids consecutive as the venues number them) and a ticker (mark,
 * funding every 8 h, open interest) every minute.
 */
function sparseRun(startMs: number, days: number): SimRun {
  const venues = ['binance', 'okx', 'bybit'] as const;
  const symbols = { binance: 'BTCUSDT', okx: 'BTC-USDT-SWAP', bybit: 'BTCUSDT' } as const;
  const endMs = startMs + days * DAY_MS;
  function* events(): Generator<MarketEvent> {
    let id = 0;
    for (let t = startMs; t < endMs; t += 10_000) {
      id++;
      const price = Math.round((60_000 + 600 * Math.sin(((t - startMs) / DAY_MS) * 2 * Math.PI) + ((id * 7919) % 200) - 100) * 10) / 10;
      for (const [k, v] of venues.entries()) {
        const base = { venue: v, symbol: symbols[v], ts: t + k, localTs: NaN };
        yield { type: 'trade', ...base, price, qty: 0.01 * (1 + (id % 5)), side: id % 2 ? 'sell' : 'buy', id: v === 'bybit' ? `00000000-0000-4000-8000-${id.toString(16).padStart(12, '0')}` : String(id) };
        if (t % 60_000 === 0) {
          yield {
            type: 'ticker', ...base, ts: t + 5 + k, ...EMPTY_TICKER_FIELDS,
            markPrice: price, indexPrice: price, lastPrice: price, fundingRate: 0.0001, nextFundingTs: Math.ceil((t + 1) / (8 * 3_600_000)) * 8 * 3_600_000,
            openInterest: 10_000 + (id % 1000), bestBid: price - 0.1, bestBidQty: 1, bestAsk: price, bestAskQty: 1,
          };
        }
      }
    }
  }
  return {
    config: { scenario: 'quiet', seed: 1, startMs, durationMs: endMs - startMs, symbol: 'BTC', venues },
    symbols,
    events,
    labels: () => ({ scenario: 'quiet', seed: 1, symbol: 'BTC', labels: [] }),
  };
}

// --- the server process ---------------------------------------------------------------------

type ToServer = { op: 'go' } | { op: 'stop' };
type FromServer =
  | { ready: Record<string, string>; speed: number; startMs: number; density: number }
  | { progress: { events: number; exchangeTs: number; lateMs: number } }
  | { started: true }
  | { stopped: { events: number; wallMs: number; exchangeMs: number; cpuMs: number } }
  | { error: string };

/** Every stream a paper session on BTC subscribes to is subscribed (test/paper/story.ts's check). */
function allSubscribed(s: SimServing): boolean {
  const sym = 'BTCUSDT';
  const b = s.servers.binance.subscriptions();
  const y = s.servers.bybit.subscriptions().flat();
  return (
    ['aggTrade', 'forceOrder', 'depth', 'markPrice'].every((k) => b.some((x) => x.startsWith(`${sym.toLowerCase()}@${k}`))) &&
    ['trades', 'books', 'mark-price', 'funding-rate', 'open-interest'].every((channel) => s.servers.okx.subscribers({ channel, instId: 'BTC-USDT-SWAP' }) > 0) &&
    [`publicTrade.${sym}`, `tickers.${sym}`].every((t) => y.includes(t))
  );
}

async function serverMain(): Promise<void> {
  const send = (m: FromServer) => process.send!(m);
  const rate = flag(process.argv, '--rate', 50_000);
  const sparseDays = flag(process.argv, '--sparse-days', 0);
  // The market's density (events per simulated second; the scenario's over its first ten minutes) sets the speed.
  let n = 0;
  const sample = sparseDays > 0 ? sparseRun(0, 600_000 / DAY_MS) : simulate(simConfig({ scenario: SCENARIO, seed: 1, durationMs: 600_000 }));
  for (const _ of sample.events()) n++;
  const density = n / 600;
  const speed = rate / density;
  const config = liveSimConfig(simConfig({ scenario: SCENARIO, seed: 1, durationMs: SIM_DAYS * DAY_MS }));
  const market = sparseDays > 0 ? sparseRun(Math.ceil(config.startMs / 60_000) * 60_000, sparseDays) : simulate(config);
  let go!: () => void;
  const gate = new Promise<void>((r) => (go = r));
  let serving!: SimServing;
  const subscribed = gate.then(async () => {
    while (!allSubscribed(serving)) await new Promise((r) => setTimeout(r, 20));
    cpu0 = process.cpuUsage();
    send({ started: true });
  });
  let cpu0 = process.cpuUsage();
  serving = await serveSimulation(market, { speed, startWhen: subscribed, onProgress: (p) => send({ progress: { events: p.events, exchangeTs: p.exchangeTs, lateMs: p.lateMs } }) });
  process.on('message', async (m: ToServer) => {
    if (m.op === 'go') go();
    else {
      await serving.close();
      const r = await serving.done;
      const cpu = process.cpuUsage(cpu0);
      send({ stopped: { events: r.events, wallMs: r.wallMs, exchangeMs: r.exchangeMs, cpuMs: (cpu.user + cpu.system) / 1000 } });
      process.disconnect();
    }
  });
  send({ ready: serving.env, speed, startMs: market.config.startMs, density });
}

// --- the session side -------------------------------------------------------------------------

export const paperBench = {
  description: 'paper session on the three loopback exchanges at 50k events/s: frame -> decision latency (vs the live decode), journal commits, RSS over simulated days',
  async run(args: string[]): Promise<BenchResult[]> {
    const rate = flag(args, '--rate', 50_000);
    const seconds = flag(args, '--seconds', 90);
    const warmS = flag(args, '--warmup', 20);
    const sparseDays = flag(args, '--sparse-days', 0);
    const graceMs = flag(args, '--grace-ms', Infinity);
    const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SELF, SERVER_FLAG, '--rate', String(rate), '--sparse-days', String(sparseDays)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const listeners = new Set<(m: FromServer) => void>();
    child.on('message', (m: FromServer) => {
      for (const l of listeners) l(m);
    });
    const next = <K extends string>(key: K) =>
      new Promise<Extract<FromServer, Record<K, unknown>>>((resolve, reject) => {
        const l = (m: FromServer) => {
          if ('error' in m) reject(new Error(`paper bench server: ${m.error}`));
          if (key in m) {
            listeners.delete(l);
            resolve(m as Extract<FromServer, Record<K, unknown>>);
          }
        };
        listeners.add(l);
        child.once('exit', (code) => reject(new Error(`paper bench: the server process exited (${code})`)));
      });
    let published = { events: 0, exchangeTs: NaN, lateMs: 0 };
    listeners.add((m) => {
      if ('progress' in m) published = m.progress;
    });

    const ready = await next('ready');
    const saved = Object.keys(ready.ready).map((k) => [k, process.env[k]] as const);
    Object.assign(process.env, ready.ready);
    const home = mkdtempSync(join(tmpdir(), 'orderflow-paper-bench-'));
    const store = await Store.open(home);

    const base = epochNs();
    const nowMs = () => Number(epochNs() - base) / 1e6;
    const decode = new Hist();
    const eventLat = new Hist();
    const decisionLat = new Hist();
    const decisionFromRelease = new Hist();
    // Every push a frame triggered: the receipt of the frame whose records moved the watermark past
    // held rows (the session's onWatermarkMoved) to the end of the push that released them.
    const releaseLat = new Hist();
    let lastRecv = NaN;
    let moverRecv = NaN;
    let otherReleases = 0;
    // Frames that moved the watermark within 100 ms of a stream coming back or falling quiet: pushed at the end of the turn.
    let deferredMoves = 0;
    // How late the event loop runs a due callback (a timer here): what a frame ready in its socket
    // may wait before the session reads it, which the receipt (the socket's JS callback) does not see.
    const loopDelay = monitorEventLoopDelay({ resolution: 1 });
    // The receipt of the frame that moved the watermark for the push under way (NaN: a push no frame triggered).
    let pushMover = NaN;
    // The push under way: its mover was pushed at once (not at the end of the turn), its rows and cost.
    let pushAtOnce = false;
    let moverAtOnce = false;
    let pushRows = 0;
    let pushMs = 0;
    // The pushes that made decisions (measured from their mover): how many were at once, their rows, cost and latency, summed.
    const decidingPushes = { n: 0, atOnce: 0, rows: 0, pushMs: 0, latencyMs: 0 };
    const pushCost = new Hist();
    const config = parseConfig({});
    const pushes = new PushLog(config.signals.zonesEvery);
    let pushedRows = 0;
    const pending = new Pending();
    let lastRaw = NaN;
    let frames = 0;
    let seen = { signals: 0, orders: 0 };
    let decisions = 0;
    // The first push also reads the empty warm-up span (days of hour windows) once: apart, and
    // so is what arrives until `warmS` after it (the backlog it left behind is caught up).
    let startupMs = NaN;
    let measureFrom = Infinity;
    const early = new Hist();
    const probe = {
      onRawFrame: (_text: string, localNs: bigint) => {
        lastRaw = Number(localNs - base) / 1e6;
      },
      onEvents: (records: readonly CaptureRecord[]) => {
        if (Number.isNaN(lastRaw)) return; // REST answers (snapshots, back-fill): no frame
        const recv = lastRaw;
        lastRaw = NaN;
        decode.add(nowMs() - recv);
        lastRecv = recv;
        let lo = Infinity;
        let hi = -Infinity;
        for (const r of records) {
          if (!('ts' in r)) continue;
          if (r.ts < lo) lo = r.ts;
          if (r.ts > hi) hi = r.ts;
        }
        if (hi === -Infinity) return;
        frames++;
        pending.add(lo, hi, recv);
      },
      onWatermarkMoved: (atOnce: boolean) => {
        if (!atOnce) deferredMoves++;
        if (Number.isNaN(moverRecv)) {
          moverRecv = lastRecv;
          moverAtOnce = atOnce;
        }
      },
      onReleased: (rows: number, ms: number, mix: Readonly<ReleaseMix>) => {
        const now = nowMs();
        const measured = Number.isFinite(measureFrom) && now >= measureFrom;
        pushes.released(rows, ms, mix, measured);
        const mover = moverRecv;
        moverRecv = NaN;
        pushMover = mover;
        pushAtOnce = moverAtOnce;
        pushRows = rows;
        pushMs = ms;
        if (!measured) return;
        if (mover >= measureFrom) releaseLat.add(now - mover);
        else otherReleases++;
        pushCost.add(ms);
        pushedRows += rows;
      },
      onPushed: (w: number, p: EngineProgress) => {
        const now = nowMs();
        pushes.pushed(p);
        if (Number.isNaN(startupMs)) {
          const first = new Hist();
          pending.drain(w, now, first);
          startupMs = first.q(1);
          measureFrom = nowMs() + warmS * 1000;
          seen = { signals: p.signals.length, orders: p.orders.length };
          pushMover = NaN;
          return;
        }
        const released = pushMover;
        pushMover = NaN;
        const decided = (ts: number) => {
          const recv = pending.firstReaching(ts);
          if (recv >= measureFrom) decisionLat.add(now - recv);
          if (released >= measureFrom) decisionFromRelease.add(now - released);
        };
        for (let i = seen.signals; i < p.signals.length; i++) decided(p.signals[i].ts);
        for (let i = seen.orders; i < p.orders.length; i++) decided(p.orders[i].ts);
        if (released >= measureFrom && p.signals.length + p.orders.length > seen.signals + seen.orders) {
          decidingPushes.n++;
          if (pushAtOnce) decidingPushes.atOnce++;
          decidingPushes.rows += pushRows;
          decidingPushes.pushMs += pushMs;
          decidingPushes.latencyMs += now - released;
        }
        decisions += p.signals.length - seen.signals + p.orders.length - seen.orders;
        seen = { signals: p.signals.length, orders: p.orders.length };
        pending.drain(w, now, eventLat, measureFrom, early);
      },
    };

    const run = await PaperRun.start({ store, name: 'bench', symbol: 'BTC', venues: ['binance', 'okx', 'bybit'], config, settleMs: 1000, graceMs, log: (l) => console.error(l), probe });
    const started = next('started');
    child.send({ op: 'go' } satisfies ToServer);
    await started;
    const t0 = performance.now();
    loopDelay.enable();
    const samples: Sample[] = [];
    const cpu0 = process.cpuUsage();
    // When the session stopped (a failed step: at a rate this machine's store cannot take, the
    // recorder drops rows and the shadow check stops the session, docs/PAPER.md): the figures
    // below are of the frames before it, and the bench says so instead of dying.
    let stoppedAtS = NaN;
    const sampler = setInterval(() => {
      if (run.failed && Number.isNaN(stoppedAtS)) stoppedAtS = (performance.now() - t0) / 1000;
      const k = run.status().kernelTs;
      if (Number.isFinite(k)) samples.push({ wallS: (performance.now() - t0) / 1000, simDays: (k - ready.startMs) / DAY_MS, rssMb: process.memoryUsage.rss() / 2 ** 20 });
    }, 1000);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const stopped = next('stopped');
    child.send({ op: 'stop' } satisfies ToServer);
    const sent = (await stopped).stopped;
    clearInterval(sampler);
    loopDelay.disable();
    const wallS = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    pushes.close();
    const commits = [...run.commitTimes()].sort((a, b) => a - b);
    const failed = run.failed;
    const late = run.status().lateEvents;
    await run.stop();
    store.close();
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rmSync(home, { recursive: true, force: true });
    if (failed) {
      if (Number.isNaN(stoppedAtS)) stoppedAtS = wallS;
      console.error(`paper: THE SESSION STOPPED ${stoppedAtS.toFixed(0)} s into the ${seconds} s run (the figures below are of what came before): ${failed.message}`);
    }

    const span = samples.length > 0 ? samples[samples.length - 1].simDays : 0;
    const warm = samples.filter((s) => s.simDays >= span / 4);
    const mbPerDay = slope(warm);
    const pct = (xs: number[], q: number) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] : NaN);
    const first = warm[0];
    const last = samples[samples.length - 1];
    console.error(
      `paper: ${sparseDays > 0 ? `a sparse market over ${sparseDays} days` : SCENARIO} at ${rate} events/s (speed ${ready.speed.toFixed(0)}x, ${ready.density.toFixed(1)} events per simulated s): ` +
        `${sent.events} events published in ${(sent.wallMs / 1000).toFixed(1)} s (${Math.round(sent.events / (sent.wallMs / 1000))}/s, last batch ${published.lateMs.toFixed(0)} ms late), ` +
        `${frames} data frames into the session (${eventLat.n} measured, ${early.n} before the measured window: p99 ${early.q(0.99).toFixed(0)} ms), ${decisions} decisions (signals + orders), ${late} late events (not seen by the kernel), ${commits.length} journal commits; ` +
        `${span.toFixed(2)} simulated days in ${wallS.toFixed(0)} s; session CPU ${((cpu.user + cpu.system) / 1e6 / wallS).toFixed(2)} cores; ` +
        `RSS ${first?.rssMb.toFixed(0)} MB after warm-up -> ${last?.rssMb.toFixed(0)} MB; ${availableParallelism()} cores, load ${loadavg()[0].toFixed(2)}`,
    );
    // RSS at each whole simulated day (the first sample past it), to see the shape the slope summarizes.
    const byDay: string[] = [];
    for (let d = 0; d <= Math.floor(span); d++) {
      const x = samples.find((y) => y.simDays >= d);
      if (x) byDay.push(`d${d} ${x.rssMb.toFixed(0)}`);
    }
    console.error(`paper: RSS (MB) by simulated day: ${byDay.join(', ')} (${samples.length} samples)`);
    // Which side caps the intake: CPU per published event in the session (decode, recorder, watermark, push, steps) and in the server child (simulate, encode, ws framing).
    const sessionCpuMs = (cpu.user + cpu.system) / 1000;
    console.error(
      `paper: CPU per event: session ${((sessionCpuMs * 1000) / sent.events).toFixed(1)} µs (${((sessionCpuMs * 1000) / Math.max(1, frames)).toFixed(1)} µs a data frame; ${(sessionCpuMs / 1000 / wallS).toFixed(2)} cores), ` +
        `server ${((sent.cpuMs * 1000) / sent.events).toFixed(1)} µs (${(sent.cpuMs / sent.wallMs).toFixed(2)} cores over its ${(sent.wallMs / 1000).toFixed(0)} s); at one core each: session ${Math.round(sent.events / (sessionCpuMs / 1000))}/s, server ${Math.round(sent.events / (sent.cpuMs / 1000))}/s`,
    );
    console.error(`paper: collections: ${pushes.gcSummary()}`);
    for (const line of pushes.breakdown(0.01)) console.error(`paper: push ${line}`);
    const dp = decidingPushes;
    console.error(
      `paper: the ${dp.n} pushes that decided (from a frame, measured): ${dp.atOnce} at once in the frame's handler, ${dp.n - dp.atOnce} at the end of the turn (within 100 ms of a stream coming back or falling quiet); ` +
        `on average ${(dp.rows / Math.max(1, dp.n)).toFixed(0)} rows, the push ${(dp.pushMs / Math.max(1, dp.n)).toFixed(2)} ms, the frame that moved the watermark -> the end of the push ${(dp.latencyMs / Math.max(1, dp.n)).toFixed(2)} ms`,
    );
    console.error(
      `paper: release latency (the frame that moved the watermark -> the end of its push) over ${releaseLat.n} pushes, p50 ${releaseLat.q(0.5).toFixed(3)} ms, p99 ${releaseLat.q(0.99).toFixed(3)} ms, max ${releaseLat.q(1).toFixed(1)} ms; ` +
        `${otherReleases} pushes released rows without a frame (a step: the wall clock, a quiet stream's timeout); ${deferredMoves} frames moved it within 100 ms of a stream coming back or falling quiet (their push at the end of the turn); event-loop delay p50 ${(loopDelay.percentile(50) / 1e6).toFixed(2)} ms, p99 ${(loopDelay.percentile(99) / 1e6).toFixed(2)} ms, max ${(loopDelay.max / 1e6).toFixed(1)} ms`,
    );
    const d50 = decode.q(0.5);
    const d99 = decode.q(0.99);
    const ev99 = eventLat.q(0.99);
    const de99 = decisionLat.q(0.99);
    const keptUpS = failed ? stoppedAtS : wallS;
    return [
      { bench: 'paper', metric: 'session_kept_up_s', ours: keptUpS, reference: wallS, referenceName: 'the run', ratio: keptUpS / wallS, target: 'ratio 1 (the session ran the whole time; a stop is printed above with its cause)' },
      { bench: 'paper', metric: 'events_per_s_in', ours: sent.events / (sent.wallMs / 1000), reference: rate || null, referenceName: rate ? 'asked rate' : null, ratio: rate ? sent.events / (sent.wallMs / 1000) / rate : null, target: rate ? 'ratio >= 0.95' : 'as fast as the servers go (--rate 0)' },
      { bench: 'paper', metric: 'first_push_ms', ours: startupMs, reference: null, referenceName: null, ratio: null, target: 'once per start (the warm-up span read; not in the latencies below)' },
      { bench: 'paper', metric: 'decode_p50_us', ours: d50 * 1000, reference: null, referenceName: null, ratio: null, target: 'the reference (bench live: 20-25 µs)' },
      { bench: 'paper', metric: 'decode_p99_us', ours: d99 * 1000, reference: null, referenceName: null, ratio: null, target: 'the reference' },
      { bench: 'paper', metric: 'event_latency_p50_ms', ours: eventLat.q(0.5), reference: d50, referenceName: 'decode p50', ratio: d50 / eventLat.q(0.5), target: '-' },
      { bench: 'paper', metric: 'event_latency_p99_ms', ours: ev99, reference: d99, referenceName: 'decode p99', ratio: d99 / ev99, target: '< 1 ms' },
      { bench: 'paper', metric: 'decision_latency_p50_ms', ours: decisionLat.q(0.5), reference: d50, referenceName: 'decode p50', ratio: d50 / decisionLat.q(0.5), target: '-' },
      { bench: 'paper', metric: 'decision_latency_p99_ms', ours: de99, reference: d99, referenceName: 'decode p99', ratio: d99 / de99, target: `< 1 ms (${decisionLat.n} decisions)` },
      { bench: 'paper', metric: 'decision_from_release_p50_ms', ours: decisionFromRelease.q(0.5), reference: d50, referenceName: 'decode p50', ratio: d50 / decisionFromRelease.q(0.5), target: '-' },
      { bench: 'paper', metric: 'decision_from_release_p99_ms', ours: decisionFromRelease.q(0.99), reference: d99, referenceName: 'decode p99', ratio: d99 / decisionFromRelease.q(0.99), target: `< 1 ms: the frame that moved the watermark -> the decision its push made, without the hold (${decisionFromRelease.n} decisions)` },
      { bench: 'paper', metric: 'release_latency_p50_ms', ours: releaseLat.q(0.5), reference: d50, referenceName: 'decode p50', ratio: d50 / releaseLat.q(0.5), target: '-' },
      { bench: 'paper', metric: 'release_latency_p99_ms', ours: releaseLat.q(0.99), reference: d99, referenceName: 'decode p99', ratio: d99 / releaseLat.q(0.99), target: `< 1 ms: the frame that moved the watermark -> the end of the push of the rows it released, every such push (${releaseLat.n} pushes)` },
      { bench: 'paper', metric: 'loop_delay_p99_ms', ours: loopDelay.percentile(99) / 1e6, reference: null, referenceName: null, ratio: null, target: 'what a frame may wait in its socket before its receipt (not in the latencies above)' },
      { bench: 'paper', metric: 'push_p50_us', ours: pushCost.q(0.5) * 1000, reference: d50 * 1000, referenceName: 'decode p50', ratio: d50 / pushCost.q(0.5), target: `the kernel on the rows a push releases (${pushCost.n} pushes, ${(pushedRows / Math.max(1, pushCost.n)).toFixed(1)} rows each)` },
      { bench: 'paper', metric: 'push_p99_us', ours: pushCost.q(0.99) * 1000, reference: d99 * 1000, referenceName: 'decode p99', ratio: d99 / pushCost.q(0.99), target: '< 1 ms with decode: the frame that releases the watermark -> decision' },
      { bench: 'paper', metric: 'journal_commit_p50_ms', ours: pct(commits, 0.5), reference: null, referenceName: null, ratio: null, target: '-' },
      { bench: 'paper', metric: 'journal_commit_p99_ms', ours: pct(commits, 0.99), reference: 1000, referenceName: 'target', ratio: 1000 / pct(commits, 0.99), target: '< 1000 ms' },
      { bench: 'paper', metric: 'rss_mb_per_sim_day', ours: mbPerDay, reference: null, referenceName: null, ratio: null, target: `~0 after warm-up (${span.toFixed(2)} days simulated, RSS ${first?.rssMb.toFixed(0)} -> ${last?.rssMb.toFixed(0)} MB)` },
    ];
  },
};

if (process.argv[1] === SELF && process.argv.includes(SERVER_FLAG)) {
  serverMain().catch((e: Error) => {
    process.send?.({ error: e.message } satisfies FromServer);
    process.exitCode = 1;
  });
}
