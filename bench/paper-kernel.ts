/**
 * `npm run bench -- paper-kernel`: the paper session's push path alone, on one thread, with no
 * sockets, store or server: the simulator's `long-cascade` market (Binance, OKX, Bybit) added to
 * the push feed (src/paper/push-feed.ts) record by record, released into the paper kernel
 * (src/paper/kernel.ts) every `--per N` records (default 94: the live benchmark's rows per push)
 * up to the newest time added less `--hold N` exchange ms (default 60,000: the watermark's hold,
 * which at the live benchmark's ~1000x is ~60 ms of wall time: the rows it keeps held are what a
 * release works around), for `--hours N` simulated hours (default 2; the first 10 minutes
 * warm the JIT up and are not measured). Each push's cost is
 * the process's CPU time (process.cpuUsage: nothing else runs in it but V8's helper threads), so a
 * loaded machine's preemptions are not in it,
 * and the slowest 1% are broken down by what happened inside them (bench/paper-pushes.ts). Run it
 * as `node --single-threaded --import tsx bench/run.ts paper-kernel` to have V8's compiler and
 * collector threads' work on the measured thread (otherwise their CPU lands in whichever push it
 * overlapped), and with `--cpu-prof` to see where the pushes' time goes.
 */
import { parseConfig } from '../src/engine/config.ts';
import { paperKernel } from '../src/paper/kernel.ts';
import { PushFeed } from '../src/paper/push-feed.ts';
import { simConfig, simulate } from '../src/sim/simulate.ts';
import { loadBundledInstruments } from '../src/venues/bundled-instruments.ts';
import { flag } from './flags.ts';
import { PushLog } from './paper-pushes.ts';
import type { BenchResult } from './run.ts';

/** The process's CPU time, ns (every thread: V8's collector helpers count, which is the collections' cost). */
function cpuNs(): number {
  const c = process.cpuUsage();
  return (c.user + c.system) * 1000;
}

export const paperKernelBench = {
  description: "the paper session's push path alone (push feed -> kernel) on the simulator's market: CPU per push, the slowest 1% broken down",
  async run(args: string[]): Promise<BenchResult[]> {
    const per = flag(args, '--per', 94);
    const hours = flag(args, '--hours', 2);
    const holdMs = flag(args, '--hold', 60_000);
    const market = simulate(simConfig({ scenario: 'long-cascade', seed: 1, durationMs: hours * 3_600_000 }));
    const events = [...market.events()];
    const venues = ['binance', 'okx', 'bybit'] as const;
    const pairs = venues.map((v) => [v, market.symbols[v]!] as const);
    const instrument = loadBundledInstruments().get('binance', market.symbols.binance!)!;
    const config = parseConfig({});
    const kernel = paperKernel(config, { pairs, instrument }, market.config.startMs);
    const feed = new PushFeed({ venues: pairs.map((p) => p[0]), symbols: [...new Set(pairs.map((p) => p[1]))], execVenue: 'binance', execSymbol: market.symbols.binance!, needBook: config.execution.useBook || config.entry.vetoOnBaitOnly, bookFromMs: -Infinity });
    const log = new PushLog(config.signals.zonesEvery);
    const costs: number[] = [];
    const wall0 = performance.now();
    const cpu0 = cpuNs();
    let newest = -Infinity;
    let added = 0;
    for (const e of events) {
      if (feed.add(e) && e.ts > newest) newest = e.ts;
      if (++added % per !== 0) continue;
      const c0 = cpuNs();
      const n = feed.release(kernel.engine, newest - holdMs);
      const us = (cpuNs() - c0) / 1000;
      // The first 10 simulated minutes warm the JIT up: not measured.
      if (n > 0 && newest >= market.config.startMs + 600_000) {
        costs.push(us);
        log.released(n, us / 1000, feed.mix, true);
      }
      log.pushed(kernel.engine.produced);
    }
    const cpuS = (cpuNs() - cpu0) / 1e9;
    const wallS = (performance.now() - wall0) / 1000;
    // The collections' entries are delivered on a later turn of the event loop.
    await new Promise((r) => setTimeout(r, 10));
    log.close();
    costs.sort((a, b) => a - b);
    const q = (x: number) => costs[Math.min(costs.length - 1, Math.floor(x * costs.length))];
    const p = kernel.engine.produced;
    console.error(`paper-kernel: ${events.length} events over ${hours} simulated h in ${costs.length} pushes of ${per} records (held ${holdMs} exchange ms); ${p.signals.length} signals, ${p.orders.length} orders; CPU ${cpuS.toFixed(2)} s (${((cpuS * 1e6) / events.length).toFixed(2)} µs an event, adds included), wall ${wallS.toFixed(2)} s`);
    console.error(`paper-kernel: collections: ${log.gcSummary()}`);
    for (const line of log.breakdown(0.01)) console.error(`paper-kernel: push ${line}`);
    return [
      { bench: 'paper-kernel', metric: 'push_cpu_p50_us', ours: q(0.5), reference: null, referenceName: null, ratio: null, target: `the process's CPU per push of ${per} records` },
      { bench: 'paper-kernel', metric: 'push_cpu_p99_us', ours: q(0.99), reference: 1000, referenceName: 'target', ratio: 1000 / q(0.99), target: '< 1000 µs' },
      { bench: 'paper-kernel', metric: 'push_cpu_max_us', ours: costs[costs.length - 1], reference: null, referenceName: null, ratio: null, target: '-' },
      { bench: 'paper-kernel', metric: 'cpu_us_per_event', ours: (cpuS * 1e6) / events.length, reference: null, referenceName: null, ratio: null, target: 'adds and pushes' },
    ];
  },
};
