/**
 * Simulator benchmark: `simulate()` of the `long-cascade` scenario (every agent on Binance, OKX
 * and Bybit: makers, retail, holders and their liquidations, the institutional program, the
 * arbitrageur, the engine's clock) over `--hours N` (default 1) of simulated time, events read
 * and dropped, single-threaded. Reported as simulated events per wall second, against:
 *
 * - the target, 1M events/s (the issue's: a two-week scenario in minutes);
 * - a floor measured in the same run: a plain loop that builds and consumes the same number of
 *   event objects of the same shapes and mix (trades, book diffs with the same mean level count,
 *   tickers, liquidations) with no market behind them. The ratio to it says how much of the cost
 *   is the market itself rather than materializing the normalized events every consumer needs.
 *
 * The median of `--reps N` (default 3) timed runs after one untimed warm-up is reported.
 */
import type { BookLevel, MarketEvent } from '../src/core/events.ts';
import { EMPTY_TICKER_FIELDS } from '../src/core/events.ts';
import { simConfig, simulate } from '../src/sim/simulate.ts';
import { flag } from './flags.ts';
import type { BenchResult } from './run.ts';

const TARGET = 1_000_000;

interface Mix {
  events: number;
  trades: number;
  books: number;
  levels: number;
  tickers: number;
  liquidations: number;
}

function runSim(hours: number): Mix & { ms: number; cpuMs: number } {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const run = simulate(simConfig({ scenario: 'long-cascade', seed: 1, durationMs: Math.round(hours * 3_600_000) }));
  const mix: Mix = { events: 0, trades: 0, books: 0, levels: 0, tickers: 0, liquidations: 0 };
  for (const e of run.events()) {
    mix.events++;
    if (e.type === 'trade') mix.trades++;
    else if (e.type === 'book') {
      mix.books++;
      mix.levels += e.bids.length + e.asks.length;
    } else if (e.type === 'ticker') mix.tickers++;
    else mix.liquidations++;
  }
  const c = process.cpuUsage(c0);
  return { ...mix, ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

/** The same number and mix of event objects, built and consumed by a plain loop: wall and CPU ms. */
function runFloor(mix: Mix): { ms: number; cpuMs: number } {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const perBook = mix.books > 0 ? Math.max(1, Math.round(mix.levels / mix.books)) : 1;
  let sink = 0;
  let ts = 1_767_700_800_000;
  for (let i = 0; i < mix.events; i++) {
    const k = i % mix.events;
    let e: MarketEvent;
    if (k < mix.trades) e = { type: 'trade', venue: 'binance', symbol: 'BTCUSDT', ts, localTs: ts, price: 90_000 + (i % 100) / 10, qty: 0.001 * (1 + (i % 7)), side: i & 1 ? 'buy' : 'sell', id: String(i) };
    else if (k < mix.trades + mix.books) {
      const bids: BookLevel[] = [];
      const asks: BookLevel[] = [];
      for (let j = 0; j < perBook; j++) (j & 1 ? asks : bids).push([90_000 + j / 10, 0.5]);
      e = { type: 'book', venue: 'okx', symbol: 'BTC-USDT-SWAP', ts, localTs: ts, isSnapshot: false, bids, asks, seq: i };
    } else if (k < mix.trades + mix.books + mix.tickers) e = { type: 'ticker', venue: 'bybit', symbol: 'BTCUSDT', ts, localTs: ts, ...EMPTY_TICKER_FIELDS, markPrice: 90_000, indexPrice: 90_000 };
    else e = { type: 'liquidation', venue: 'bybit', symbol: 'BTCUSDT', ts, localTs: ts, price: 90_000, qty: 0.01, side: 'sell', id: '' };
    if (e.ts > 0) sink++;
    if ((i & 15) === 0) ts++;
  }
  if (sink !== mix.events) throw new Error('floor loop lost events');
  const c = process.cpuUsage(c0);
  return { ms: performance.now() - t0, cpuMs: (c.user + c.system) / 1000 };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export const simBench = {
  description: 'simulated events/s, all agents on three venues (vs the 1M/s target and an event-building floor loop)',
  async run(args: string[]): Promise<BenchResult[]> {
    const hours = flag(args, '--hours', 1);
    const reps = flag(args, '--reps', 3);
    runSim(Math.min(hours, 0.1)); // warm-up
    const sims: number[] = [];
    const floors: number[] = [];
    const simCpu: number[] = [];
    const floorCpu: number[] = [];
    let mix: Mix | undefined;
    for (let r = 0; r < reps; r++) {
      const s = runSim(hours);
      mix = s;
      sims.push((s.events / s.ms) * 1000);
      simCpu.push((s.events / s.cpuMs) * 1000);
      const f = runFloor(s);
      floors.push((s.events / f.ms) * 1000);
      floorCpu.push((s.events / f.cpuMs) * 1000);
    }
    const ours = median(sims);
    const floor = median(floors);
    const rates = (xs: number[]) => xs.map((x) => `${(x / 1e6).toFixed(3)}M`).join(' ');
    console.error(`sim: ${hours} h simulated, ${mix!.events} events (${mix!.trades} trades, ${mix!.books} book messages of ${(mix!.levels / mix!.books).toFixed(1)} levels, ${mix!.tickers} tickers, ${mix!.liquidations} liquidations)`);
    console.error(`wall: ours ${rates(sims)} events/s; floor ${rates(floors)} events/s`);
    console.error(
      `CPU time (user + system; wall time above also counts other jobs holding the cores): ours ${rates(simCpu)} events/s (median ${rates([median(simCpu)])}); ` +
        `floor ${rates(floorCpu)} events/s; ratio to the target ${(median(simCpu) / TARGET).toFixed(3)}`,
    );
    return [
      { bench: 'sim', metric: 'events_per_s', ours, reference: TARGET, referenceName: 'target', ratio: ours / TARGET, target: 'ratio >= 1 (1M events/s)' },
      { bench: 'sim', metric: 'events_per_s_vs_floor', ours, reference: floor, referenceName: 'event-building loop', ratio: ours / floor, target: 'as near 1 as the market allows' },
      { bench: 'sim', metric: 'sim_seconds_per_wall_s', ours: (hours * 3600) / (mix!.events / ours), reference: null, referenceName: null, ratio: null, target: '>= 3600 (an hour a second)' },
    ];
  },
};
