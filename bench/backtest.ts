/**
 * Backtest benchmark: N events (default 10M: trades, liquidations, book updates, marks and open
 * interest) of a deterministic synthetic market, replayed
 *
 * - ours: through the Engine (src/engine/engine.ts) with the seed strategy, default config except
 *   `nullModel.seeds: 0` (the null model would replay the same data again per seed);
 * - the floor: the same events through a no-op consumer, read as the engine reads them: one
 *   pass of `replayTo(...)` (one `await` per trade chunk, each run a call to the consumer, no
 *   object per run, as the engine's replay driver) over the same sources with the same 1-minute
 *   timers, summing ts over every row of every run (so nothing is optimized away) and nothing else.
 *
 * Both see exactly the same in-memory columns; the market is built once before anything is timed.
 * Memory first: the engine on the first quarter of the market (same rows, cut at a time; also its
 * warm-up) and on all of it, RSS sampled from the engine's progress callback every simulated
 * minute and live memory (JS heap + ArrayBuffers after a full gc) every 6 simulated hours, so N/4
 * against N shows whether memory follows the feature state or the history. Then speed: the floor
 * (one warm-up, 3 timed runs) and ours (the memory run on all of it, with the time spent sampling
 * taken off, and 2 more runs), medians of 3.
 *
 * The market (seeded, src/engine/random.ts): ~85% trades on Binance and Bybit BTCUSDT merged
 * (venue index per row, chunks of 65,536 rows as the store reader yields them), price a random
 * walk near 60,000 (tick 0.1) with bursts; every 2 h an "episode": a liquidation cascade at a
 * level (longs below, shorts above, alternating), the level becomes a realized zone at the next
 * hourly refresh, price comes back to it ~75 min later and aggressive flow hits it without
 * progress (absorption), then leaves. ~1% liquidations (cascades + scattered background),
 * ~10% book messages for the execution venue (one snapshot, then diffs near the touch: the
 * window follows the price, a few level updates, an occasional wall that is later pulled),
 * ~2% marks with funding rates, ~2% open interest, both venues alternating. 10M events span
 * ~5 days (span proportional to N), so funding, zone refreshes and sessions all happen.
 *
 * A falling `backtest_events_per_s` (or ratio to the floor, measured in the same run) means a
 * per-event path of the pipeline, book operator, broker or journal got slower or started
 * allocating; `backtest_peak_rss_mb` or `backtest_live_mb` growing from N/4 to N means something
 * keeps history instead of bounded state (docs/BENCHMARKS.md "backtest").
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import type { BookColumns, LiquidationColumns, TradeColumns } from '../src/core/columns.ts';
import { allocTradeColumns } from '../src/core/columns.ts';
import type { Venue } from '../src/core/events.ts';
import { binner } from '../src/features/liquidations.ts';
import { parseConfig, type BacktestConfig } from '../src/engine/config.ts';
import { Engine, type EngineMarket, type EngineResult } from '../src/engine/engine.ts';
import { createRng, type Rng } from '../src/engine/random.ts';
import { replayTo, type ReplaySink, type ReplaySources } from '../src/engine/replay.ts';
import { seedStrategy } from '../src/engine/seed-strategy.ts';
import type { MarkColumns, OpenInterestColumns, QuoteColumns } from '../src/core/columns.ts';
import { loadBundledInstruments } from '../src/venues/bundled-instruments.ts';
import { flag, listFlag } from './flags.ts';
import type { BenchResult } from './run.ts';

const SEED = 20240304;
const T0 = Date.UTC(2024, 2, 4); // a Monday, 00:00 UTC
const S = 1000;
const M = 60_000;
const H = 3_600_000;
const TICK = 0.1;
const CHUNK = 65_536;
const VENUES: readonly Venue[] = ['binance', 'bybit'];
/** Nominal density, 10M events over 5 days (bursts make the span come out a little longer). */
const EVENTS_PER_MS = 10_000_000 / (5 * 24 * H);
const EPISODE_EVERY = 2 * H;
/** After absorption's 60-window warm-up; :10 past the hour, so the zone is refreshed 50 min later. */
const FIRST_EPISODE = 70 * M;
const TIMER_MS = 60_000;
const REPS = 3;

// ---------------------------------------------------------------------------------------------
// The synthetic market

export interface SyntheticMarket {
  readonly chunks: TradeColumns[];
  readonly liquidations: LiquidationColumns;
  readonly openInterest: OpenInterestColumns;
  readonly marks: MarkColumns;
  readonly book: BookColumns;
  readonly firstTs: number;
  readonly lastTs: number;
  readonly episodes: number;
}

interface Episode {
  readonly long: boolean;
  /** Bin price of the level (centre of a 10 bps bin, the pipeline's default bins). */
  readonly level: number;
  readonly cascade: number;
  /** Price is back at the level; aggressive flow hits it until hold + 180 s. */
  readonly hold: number;
}

const round1 = (x: number) => Math.round(x / TICK) * TICK;

class Gauss {
  private spare = NaN;
  constructor(private readonly r: Rng) {}
  next(): number {
    if (!Number.isNaN(this.spare)) {
      const s = this.spare;
      this.spare = NaN;
      return s;
    }
    const u = 1 - this.r.nextFloat();
    const v = this.r.nextFloat();
    const m = Math.sqrt(-2 * Math.log(u));
    this.spare = m * Math.sin(2 * Math.PI * v);
    return m * Math.cos(2 * Math.PI * v);
  }
}

/** Sorted times spread over [from, to): exponential gaps scaled to fit, integer ms. */
function spreadTimes(r: Rng, n: number, from: number, to: number): Float64Array {
  const g = new Float64Array(n + 1);
  let sum = 0;
  for (let i = 0; i <= n; i++) sum += g[i] = -Math.log(1 - r.nextFloat());
  const out = new Float64Array(n);
  let acc = 0;
  for (let i = 0; i < n; i++) {
    acc += g[i];
    out[i] = Math.floor(from + ((to - from) * acc) / sum);
  }
  return out;
}

/** Growable typed columns for the book's level rows. */
class Rows {
  side = new Int8Array(1 << 16);
  price = new Float64Array(1 << 16);
  qty = new Float64Array(1 << 16);
  n = 0;
  push(side: number, price: number, qty: number): void {
    if (this.n === this.side.length) {
      const grow = <T extends Int8Array | Float64Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.side = grow(this.side);
      this.price = grow(this.price);
      this.qty = grow(this.qty);
    }
    this.side[this.n] = side;
    this.price[this.n] = price;
    this.qty[this.n] = qty;
    this.n++;
  }
}

export function generateMarket(n: number, seed = SEED): SyntheticMarket {
  if (!(Number.isInteger(n) && n >= 100_000)) throw new RangeError(`backtest bench: --events must be a whole number >= 100000, got ${n}`);
  const root = createRng(seed);
  const nT = Math.round(n * 0.85);
  const nB = Math.round(n * 0.1);
  const nM = Math.round(n * 0.02);
  const nO = Math.round(n * 0.02);
  const nL = n - nT - nB - nM - nO;
  const span = n / EVENTS_PER_MS;

  // 1. The target path: keyframes (piecewise linear), a slow walk plus the episodes.
  const r = root.fork('path');
  const kt: number[] = [T0];
  const kp: number[] = [60_000];
  let t = T0;
  let p = 60_000;
  const key = (at: number, price: number) => {
    t = at;
    p = price;
    kt.push(at);
    kp.push(price);
  };
  const walkTo = (end: number, keepFrom?: { level: number; long: boolean }) => {
    while (t + 5 * M <= end) {
      let q = p * (1 + (r.nextFloat() - 0.5) * 0.0016);
      // Between a cascade and the return, stay clear of the level.
      if (keepFrom) q = keepFrom.long ? Math.max(q, keepFrom.level * 1.003) : Math.min(q, keepFrom.level * 0.997);
      key(t + 5 * M, q);
    }
    if (t < end) key(end, p);
  };
  const bins = binner({ bps: 10 });
  const episodes: Episode[] = [];
  const horizon = T0 + span * 1.5;
  for (let e = T0 + FIRST_EPISODE, k = 0; e + 2 * H < horizon; e += EPISODE_EVERY, k++) {
    walkTo(e);
    const long = k % 2 === 0;
    const dir = long ? -1 : 1;
    const level = bins.price(bins.index(p * (1 + dir * 0.004)));
    key(e + 40 * S, level);
    key(e + 70 * S, level);
    key(e + 6 * M, level * (1 - dir * 0.0045));
    walkTo(e + 65 * M, { level, long });
    const hold = e + 75 * M;
    key(hold, level);
    key(hold + 180 * S, level);
    key(hold + 15 * M, level * (1 - dir * 0.005));
    episodes.push({ long, level, cascade: e, hold });
  }
  walkTo(horizon + H);
  const keyT = Float64Array.from(kt);
  const keyP = Float64Array.from(kp);

  // 2. Trades, chunked; the last Binance price per second for the other streams.
  const rt = root.fork('trades');
  const gt = new Gauss(rt);
  const secs = Math.ceil((horizon + 2 * H - T0) / S);
  const pxSec = new Float64Array(secs).fill(NaN);
  const chunks: TradeColumns[] = [];
  let cur = allocTradeColumns(CHUNK, VENUES);
  const baseRate = (nT / span) * 0.7; // bursts (x6 for 5-25 s every ~4000 trades) and holds add ~40%
  let ts = T0;
  let seg = 0;
  let noise = 0;
  let burstUntil = -Infinity;
  let flowUntil = -Infinity;
  let flow = 0;
  let ep = 0;
  for (let i = 0; i < nT; i++) {
    while (ep < episodes.length && episodes[ep].hold + 180 * S <= ts) ep++;
    const E = ep < episodes.length ? episodes[ep] : undefined;
    const holding = E !== undefined && ts >= E.hold && ts < E.hold + 180 * S;
    if (ts >= burstUntil && rt.nextFloat() < 1 / 4000) burstUntil = ts + 5 * S + rt.nextFloat() * 20 * S;
    const rate = baseRate * (holding ? 5 : ts < burstUntil ? 6 : 1);
    ts += -Math.log(1 - rt.nextFloat()) / rate;
    const ms = Math.floor(ts);
    while (seg + 1 < keyT.length - 1 && keyT[seg + 1] <= ms) seg++;
    const a = keyT[seg];
    const b = keyT[seg + 1];
    const target = keyP[seg] + ((keyP[seg + 1] - keyP[seg]) * (ms - a)) / (b - a);
    const slope = (keyP[seg + 1] - keyP[seg]) / keyP[seg];
    noise = 0.998 * noise + 1.5 * TICK * gt.next();
    const price = round1(target + noise);
    if (ms >= flowUntil) {
      flow = (rt.nextFloat() - 0.5) * 0.3;
      flowUntil = ms + 5 * S + rt.nextFloat() * 25 * S;
    }
    let buyP = 0.5 + flow + (slope > 0.0005 ? 0.12 : slope < -0.0005 ? -0.12 : 0);
    if (holding) buyP = E.long ? 0.2 : 0.8;
    const side = rt.nextFloat() < buyP ? 1 : -1;
    let qty = Math.exp(-4 + 1.2 * gt.next());
    if (rt.nextFloat() < 0.005) qty *= 20;
    if (holding) qty *= 2;
    const venue = rt.nextFloat() < 0.3 ? 1 : 0;
    const at = cur.length;
    cur.ts[at] = ms;
    cur.price[at] = venue === 1 ? price + TICK : price;
    cur.qty[at] = Math.max(0.001, Math.round(qty * 1000) / 1000);
    cur.side[at] = side;
    cur.venue[at] = venue;
    cur.length = at + 1;
    if (venue === 0) pxSec[Math.floor((ms - T0) / S)] = price;
    if (cur.length === CHUNK) {
      chunks.push(cur);
      cur = allocTradeColumns(CHUNK, VENUES);
    }
  }
  if (cur.length > 0) chunks.push(cur);
  const firstTs = chunks[0].ts[0];
  const lastTs = Math.floor(ts);
  let lastPx = 60_000;
  for (let s = 0; s < secs; s++) {
    if (Number.isNaN(pxSec[s])) pxSec[s] = lastPx;
    else lastPx = pxSec[s];
  }
  /** The price at the end of the previous second. */
  const pxAt = (x: number) => pxSec[Math.max(0, Math.floor((x - T0) / S) - 1)];
  const usedEpisodes = episodes.filter((e) => e.hold + 180 * S <= lastTs);

  // 3. Liquidations: cascades and returns at the episodes' levels, plus scattered background.
  const rl = root.fork('liquidations');
  const gl = new Gauss(rl);
  type Liq = { ts: number; price: number; qty: number; side: number; venue: number };
  const liqs: Liq[] = [];
  for (const e of usedEpisodes) {
    const side = e.long ? -1 : 1;
    for (let j = 0; j < 30 && liqs.length < nL; j++) {
      liqs.push({ ts: Math.floor(e.cascade + 20 * S + rl.nextFloat() * 50 * S), price: round1(e.level * (1 + (rl.nextFloat() - 0.5) * 6e-4)), qty: 1 + rl.nextFloat() * 9, side, venue: rl.nextFloat() < 0.3 ? 1 : 0 });
    }
    for (let j = 0; j < 6 && liqs.length < nL; j++) {
      liqs.push({ ts: Math.floor(e.hold + rl.nextFloat() * 40 * S), price: round1(e.level * (1 + (rl.nextFloat() - 0.5) * 6e-4)), qty: 0.2 + rl.nextFloat() * 2, side, venue: rl.nextFloat() < 0.3 ? 1 : 0 });
    }
  }
  const bgTimes = spreadTimes(rl, nL - liqs.length, firstTs, lastTs);
  let ei = 0;
  for (const x of bgTimes) {
    while (ei < usedEpisodes.length && usedEpisodes[ei].hold + 240 * S < x) ei++;
    const e = ei < usedEpisodes.length ? usedEpisodes[ei] : undefined;
    let side = rl.nextFloat() < 0.5 ? -1 : 1;
    // Nothing at the level's side while aggressive flow hits it (the liquidations have stopped).
    if (e && x >= e.hold - 120 * S) side = e.long ? 1 : -1;
    const px = pxAt(x) * (1 + side * rl.nextFloat() * 5e-4);
    liqs.push({ ts: x, price: round1(px), qty: Math.exp(-3.5 + gl.next()), side, venue: rl.nextFloat() < 0.3 ? 1 : 0 });
  }
  liqs.sort((a, b) => a.ts - b.ts);
  const liquidations: LiquidationColumns = {
    length: liqs.length,
    ts: Float64Array.from(liqs, (l) => l.ts),
    price: Float64Array.from(liqs, (l) => l.price),
    qty: Float64Array.from(liqs, (l) => Math.round(l.qty * 1000) / 1000 || 0.001),
    side: Int8Array.from(liqs, (l) => l.side),
    venue: Uint8Array.from(liqs, (l) => l.venue),
    venues: VENUES,
  };

  // 4. Marks + funding and open interest: periodic, both venues alternating.
  const rm = root.fork('tickers');
  const markets = VENUES.map((venue) => ({ venue, symbol: 'BTCUSDT' }));
  const marks: MarkColumns = { length: nM, ts: new Float64Array(nM), markPrice: new Float64Array(nM), fundingRate: new Float64Array(nM), nextFundingTs: new Float64Array(nM), market: new Uint16Array(nM), markets };
  const fund = [0.0001, 0.0001];
  for (let i = 0; i < nM; i++) {
    const x = Math.floor(firstTs + ((i + 0.5) * (lastTs - firstTs)) / nM);
    const mk = i % 2;
    fund[mk] = Math.min(0.0007, Math.max(-0.0003, fund[mk] + (rm.nextFloat() - 0.5) * 2e-6));
    marks.ts[i] = x;
    marks.market[i] = mk;
    marks.markPrice[i] = Math.round(pxAt(x) * (1 + (rm.nextFloat() - 0.5) * 2e-4) * 100) / 100;
    marks.fundingRate[i] = fund[mk];
    marks.nextFundingTs[i] = Math.ceil((x + 1) / (8 * H)) * 8 * H;
  }
  const openInterest: OpenInterestColumns = { length: nO, ts: new Float64Array(nO), openInterest: new Float64Array(nO), markPrice: new Float64Array(nO), market: new Uint16Array(nO), markets };
  const oi = [80_000, 40_000];
  for (let i = 0; i < nO; i++) {
    const x = Math.floor(firstTs + ((i + 0.25) * (lastTs - firstTs)) / nO);
    const mk = i % 2;
    oi[mk] = Math.max(1000, oi[mk] + (rm.nextFloat() - 0.48) * 40 * (mk === 0 ? 1 : 0.5));
    openInterest.ts[i] = x;
    openInterest.market[i] = mk;
    openInterest.openInterest[i] = Math.round(oi[mk] * 1000) / 1000;
    openInterest.markPrice[i] = Math.round(pxAt(x) * 100) / 100;
  }

  // 5. The execution venue's book: a snapshot, then diffs that follow the price near the touch.
  const rb = root.fork('book');
  const gb = new Gauss(rb);
  const W = 25;
  const rows = new Rows();
  const bookTs = spreadTimes(rb, nB, firstTs, lastTs);
  const isSnapshot = new Uint8Array(nB);
  const levelStart = new Uint32Array(nB + 1);
  const levelQty = () => Math.round(Math.exp(0.5 + 0.35 * gb.next()) * 1000) / 1000;
  let mid = NaN;
  let wall: { idx: number; side: number; until: number } | undefined;
  let nextWall = firstTs + 20 * M;
  for (let m = 0; m < nB; m++) {
    const x = bookTs[m];
    levelStart[m] = rows.n;
    const c = Math.round(pxAt(x) / TICK);
    const d = c - mid;
    if (Number.isNaN(mid) || Math.abs(d) > 6) {
      isSnapshot[m] = 1;
      for (let k = 1; k <= W; k++) rows.push(1, round1((c - k) * TICK), levelQty());
      for (let k = 1; k <= W; k++) rows.push(-1, round1((c + k) * TICK), levelQty());
      wall = undefined;
    } else {
      // The window [c - W, c - 1] / [c + 1, c + W] moves with the price: levels leave, levels enter.
      if (d > 0) {
        for (let k = 0; k < d; k++) {
          rows.push(1, round1((mid - W + k) * TICK), 0);
          rows.push(1, round1((mid + k) * TICK), levelQty());
          rows.push(-1, round1((mid + 1 + k) * TICK), 0);
          rows.push(-1, round1((mid + W + 1 + k) * TICK), levelQty());
        }
      } else if (d < 0) {
        for (let k = 0; k < -d; k++) {
          rows.push(-1, round1((mid + W - k) * TICK), 0);
          rows.push(-1, round1((mid - k) * TICK), levelQty());
          rows.push(1, round1((mid - 1 - k) * TICK), 0);
          rows.push(1, round1((mid - W - 1 - k) * TICK), levelQty());
        }
      }
      const updates = 1 + rb.nextInt(3);
      for (let u = 0; u < updates; u++) {
        const side = rb.nextFloat() < 0.5 ? 1 : -1;
        const idx = c - side * (1 + rb.nextInt(10));
        rows.push(side, round1(idx * TICK), rb.nextFloat() < 0.1 ? 0 : levelQty());
      }
      if (wall && x >= wall.until) {
        rows.push(wall.side, round1(wall.idx * TICK), 0);
        wall = undefined;
      } else if (!wall && x >= nextWall) {
        const side = rb.nextFloat() < 0.5 ? 1 : -1;
        wall = { idx: c - side * (2 + rb.nextInt(5)), side, until: x + 20 * S + rb.nextFloat() * 70 * S };
        rows.push(side, round1(wall.idx * TICK), 40 + rb.nextFloat() * 40);
        nextWall = x + 30 * M + rb.nextFloat() * 30 * M;
      }
    }
    mid = c;
  }
  levelStart[nB] = rows.n;
  const book: BookColumns = {
    length: nB,
    ts: bookTs,
    isSnapshot,
    seq: Float64Array.from({ length: nB }, (_, i) => i + 1),
    levelStart,
    side: rows.side.slice(0, rows.n),
    price: rows.price.slice(0, rows.n),
    qty: rows.qty.slice(0, rows.n),
  };
  return { chunks, liquidations, openInterest, marks, book, firstTs, lastTs, episodes: usedEpisodes.length };
}

/** Rows with ts < cut, per stream (the same arrays, shorter lengths). */
function prefix(m: SyntheticMarket, cut: number): SyntheticMarket {
  const below = (ts: Float64Array, len: number) => {
    let lo = 0;
    let hi = len;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (ts[mid] < cut) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
  const chunks: TradeColumns[] = [];
  for (const c of m.chunks) {
    const k = below(c.ts, c.length);
    if (k === 0) break;
    chunks.push(k === c.length ? c : { ...c, length: k });
    if (k < c.length) break;
  }
  return {
    chunks,
    liquidations: { ...m.liquidations, length: below(m.liquidations.ts, m.liquidations.length) },
    openInterest: { ...m.openInterest, length: below(m.openInterest.ts, m.openInterest.length) },
    marks: { ...m.marks, length: below(m.marks.ts, m.marks.length) },
    book: { ...m.book, length: below(m.book.ts, m.book.length) },
    firstTs: m.firstTs,
    lastTs: cut,
    episodes: 0,
  };
}

function countEvents(m: SyntheticMarket): number {
  let n = m.liquidations.length + m.openInterest.length + m.marks.length + m.book.length;
  for (const c of m.chunks) n += c.length;
  return n;
}

function sources(m: SyntheticMarket): Omit<ReplaySources, 'timerEveryMs'> {
  return { trades: m.chunks, liquidations: m.liquidations, openInterest: m.openInterest, marks: m.marks, books: [{ venue: 'binance', cols: m.book }] };
}

// ---------------------------------------------------------------------------------------------
// The two sides

/**
 * The floor: the replay merge alone into a no-op consumer, every row of every run touched, read
 * as the engine reads it (replay-driver.ts: `replayTo`, one await per trade chunk, a call per run).
 */
async function floorPass(m: SyntheticMarket): Promise<{ events: number; timers: number; runs: number; checksum: number }> {
  const sink = new FloorSink();
  await replayTo({ ...sources(m), timerEveryMs: TIMER_MS }, sink);
  return { events: sink.events, timers: sink.timers, runs: sink.runs, checksum: sink.sum };
}

/** Counts the runs and sums every row's ts. */
class FloorSink implements ReplaySink {
  events = 0;
  timers = 0;
  runs = 0;
  sum = 0;
  timer(ts: number): void {
    this.runs++;
    this.timers++;
    this.sum += ts;
  }
  trades(c: TradeColumns, from: number, to: number): void {
    this.rows(c.ts, from, to);
  }
  liquidations(c: LiquidationColumns, from: number, to: number): void {
    this.rows(c.ts, from, to);
  }
  openInterest(c: OpenInterestColumns, from: number, to: number): void {
    this.rows(c.ts, from, to);
  }
  marks(c: MarkColumns, from: number, to: number): void {
    this.rows(c.ts, from, to);
  }
  quotes(c: QuoteColumns, from: number, to: number): void {
    this.rows(c.ts, from, to);
  }
  book(_venue: Venue, c: BookColumns, from: number, to: number): void {
    this.rows(c.ts, from, to);
  }
  private rows(ts: Float64Array, from: number, to: number): void {
    this.runs++;
    let sum = this.sum;
    for (let i = from; i < to; i++) sum += ts[i];
    this.sum = sum;
    this.events += to - from;
  }
}

const INST = loadBundledInstruments().get('binance', 'BTCUSDT');
const MARKET: EngineMarket = (() => {
  if (!INST) throw new Error('backtest bench: no bundled instrument binance BTCUSDT');
  return { venues: VENUES, execVenue: 'binance', execSymbol: 'BTCUSDT', instrument: INST };
})();
/** The seed strategy's features that a config switches: each is a signal it trades or a veto it reads. */
const SEED_FEATURES = ['absorption', 'divergence', 'sizes', 'venues', 'walls'] as const;

/**
 * The bench's config: defaults but `nullModel.seeds: 0`; with `features` (`--features a,b`), the
 * seed strategy's other signals and vetoes switched off, so it computes only those (what each
 * part of the method costs: docs/BENCHMARKS.md, "Each feature's cost ... `--features`").
 */
export function benchConfig(features?: readonly string[]): BacktestConfig {
  if (!features) return parseConfig({ nullModel: { seeds: 0 } });
  const unknown = features.filter((f) => !(SEED_FEATURES as readonly string[]).includes(f));
  if (unknown.length > 0) throw new RangeError(`backtest bench: --features: unknown ${unknown.join(', ')} (known: ${SEED_FEATURES.join(', ')})`);
  const has = (f: string) => features.includes(f);
  return parseConfig({
    nullModel: { seeds: 0 },
    signals: { absorption: { enabled: has('absorption') }, divergence: { enabled: has('divergence') } },
    entry: { requireLargeFlow: has('sizes'), vetoOnVenueDisagree: has('venues'), vetoOnBaitOnly: has('walls') },
  });
}

/** A full gc without --expose-gc on the command line (the bench runs under `node --import tsx`). */
const gc: () => void = (() => {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
})();

/** Memory seen during a run: RSS every simulated minute; live memory (after a full gc) every 6 simulated hours and at the end. */
interface MemSample {
  peakRss: number;
  /** JS heap + ArrayBuffers after gc, bytes: the last sample and the largest. */
  live: number;
  peakLive: number;
  /** Time spent sampling (gc included), ms: taken off the run's time. */
  sampleMs: number;
  /** Wall time of the engine's run, ms (sampling included). */
  runMs: number;
}

const liveBytes = () => {
  gc();
  const u = process.memoryUsage();
  return u.heapUsed + u.arrayBuffers;
};

/** Live bytes once freed ArrayBuffers have really been released (that takes a gc and a turn of the event loop). */
async function settledLiveBytes(): Promise<number> {
  for (let k = 0; k < 3; k++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
  }
  return liveBytes();
}

async function oursRun(config: BacktestConfig, m: SyntheticMarket, mem?: MemSample): Promise<EngineResult> {
  const onProgress = mem
    ? (ts: number) => {
        const t0 = performance.now();
        const rss = process.memoryUsage.rss();
        if (rss > mem.peakRss) mem.peakRss = rss;
        if (ts % (6 * H) === 0) {
          mem.live = liveBytes();
          if (mem.live > mem.peakLive) mem.peakLive = mem.live;
        }
        mem.sampleMs += performance.now() - t0;
      }
    : undefined;
  const e = new Engine(config, MARKET, seedStrategy(config), { onProgress });
  const t0 = performance.now();
  const r = await e.run(sources(m));
  if (mem) {
    mem.runMs = performance.now() - t0;
    // The engine is gone; what is live is the result (bars, equity, signals, orders, trades, zones, journal).
    mem.live = await settledLiveBytes();
    if (mem.live > mem.peakLive) mem.peakLive = mem.live;
  }
  return r;
}

// ---------------------------------------------------------------------------------------------

const MB = 1024 * 1024;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Wall and CPU (user + system) seconds of each run: on a shared machine wall time also counts the time other jobs held the cores. */
async function timed<T>(reps: number, f: () => Promise<T>): Promise<{ seconds: number; all: number[]; cpu: number[]; result: T }> {
  const all: number[] = [];
  const cpu: number[] = [];
  let result!: T;
  for (let i = 0; i < reps; i++) {
    gc();
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    result = await f();
    all.push((performance.now() - t0) / 1000);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1e6);
  }
  return { seconds: median(all), all, cpu, result };
}

function outputsOf(r: EngineResult): string {
  return `${r.bars.length} bars, ${r.equity.length} equity points, ${r.signals.length} signals, ${r.orders.length} orders, ${r.trades.length} trades, ${r.zones.length} zone bands, ${r.journal.predictions.length} predictions`;
}

export const backtestBench = {
  description: 'replay 10M synthetic events (trades, liquidations, book, marks, OI) through the engine + seed strategy vs the bare replay merge; --features a,b: only those of the seed strategy',
  async run(args: string[]): Promise<BenchResult[]> {
    const n = flag(args, '--events', 10_000_000);
    const only = listFlag(args, '--features');
    const config = benchConfig(only);
    const g0 = performance.now();
    const market = generateMarket(n);
    const genS = (performance.now() - g0) / 1000;
    const total = countEvents(market);
    if (total !== n) throw new Error(`generated ${total} events, asked for ${n}`);
    const trades = market.chunks.reduce((a, c) => a + c.length, 0);
    const inputMB =
      (market.chunks.reduce((a, c) => a + c.ts.byteLength * 3 + c.side.byteLength * 2, 0) +
        market.liquidations.length * 26 +
        market.openInterest.length * 26 +
        market.marks.length * 34 +
        market.book.length * 21 +
        market.book.side.length * 17) /
      MB;
    const days = (market.lastTs - market.firstTs) / (24 * H);
    console.error(
      `backtest bench: ${n.toLocaleString('en-US')} events over ${days.toFixed(2)} days (generated in ${genS.toFixed(1)} s, ${inputMB.toFixed(0)} MB of columns): ` +
        `${trades.toLocaleString('en-US')} trades in ${market.chunks.length} chunks, ${market.liquidations.length.toLocaleString('en-US')} liquidations, ` +
        `${market.book.length.toLocaleString('en-US')} book messages (${market.book.side.length.toLocaleString('en-US')} level rows), ` +
        `${market.marks.length.toLocaleString('en-US')} marks, ${market.openInterest.length.toLocaleString('en-US')} open interest; ${market.episodes} cascade/return episodes`,
    );

    // Memory: the first quarter of the market (also the engine's warm-up), then all of it, each
    // on a quiet heap, live memory sampled every 6 simulated hours (after a gc), RSS every minute.
    const qi = Math.floor(trades / 4);
    const quarter = prefix(market, market.chunks[Math.floor(qi / CHUNK)].ts[qi % CHUNK]);
    const nq = countEvents(quarter);
    const memRun = async (m: SyntheticMarket) => {
      const base = await settledLiveBytes();
      const rss0 = process.memoryUsage.rss();
      const mem: MemSample = { peakRss: rss0, live: base, peakLive: base, sampleMs: 0, runMs: NaN };
      const r = await oursRun(config, m, mem);
      // Up to the end of the run: the live-memory measurement after it is not part of it.
      const ms = mem.runMs - mem.sampleMs;
      return { base, rss0, mem, seconds: ms / 1000, out: outputsOf(r), signals: r.signals.length };
    };
    const mq = await memRun(quarter);
    const mn = await memRun(market);
    // The bench means something only if the strategy trades: fail before spending the timed runs.
    // (With --features and no signal among them, the run still measures what those features cost.)
    if (mn.signals === 0 && (!only || only.includes('absorption'))) throw new Error('backtest bench: the seed strategy saw no signal on the synthetic market: the bench would measure nothing meaningful');

    // Speed: the floor (warm-up, then REPS), then ours (warmed up by the N/4 run).
    const fw = await floorPass(market);
    if (fw.events !== n) throw new Error(`floor pass saw ${fw.events} events, expected ${n}`);
    const floor = await timed(REPS, () => floorPass(market));
    // The memory run on all of it is the first timed run (its sampling time taken off), then REPS - 1 more.
    const more = await timed(REPS - 1, () => oursRun(config, market));
    const ours = { all: [mn.seconds, ...more.all], seconds: median([mn.seconds, ...more.all]), result: more.result };

    const mb = (x: number) => `${(x / MB).toFixed(1)} MB`;
    const liveQ = (mq.mem.peakLive - mq.base) / MB;
    const liveN = (mn.mem.peakLive - mn.base) / MB;
    console.error(`memory (baseline: the market in memory, ${mb(mq.base)} live after gc, RSS ${mb(mq.rss0)}):`);
    for (const [name, k, x] of [['N/4', nq, mq], ['N  ', n, mn]] as const) {
      console.error(
        `  ${name} = ${k.toLocaleString('en-US')} events: peak RSS ${mb(x.mem.peakRss)} (${mb(x.rss0)} before), live memory above the baseline: peak ${mb(x.mem.peakLive - x.base)}, ` +
          `after the run (result only) ${mb(x.mem.live - x.base)}; ${x.seconds.toFixed(2)} s; output ${x.out}`,
      );
    }
    console.error(`  process max RSS (generation included): ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
    const fmtS = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(' ');
    console.error(`floor (replay only): ${fmtS(floor.all)} s (${fw.runs.toLocaleString('en-US')} runs, ${fw.timers.toLocaleString('en-US')} timers)`);
    console.error(`ours (engine + seed strategy): ${fmtS(ours.all)} s (the first with memory sampling, ${(mn.mem.sampleMs / 1000).toFixed(2)} s of it taken off)`);
    const cpuRate = (xs: number[]) => xs.map((x) => `${(n / x / 1e6).toFixed(2)}M`).join(' ');
    console.error(
      `CPU time (user + system; wall time above also counts other jobs holding the cores): floor ${fmtS(floor.cpu)} s = ${cpuRate(floor.cpu)} events/s; ` +
        `ours (runs 2-${REPS}) ${fmtS(more.cpu)} s = ${cpuRate(more.cpu)} events/s; ratio ${(median(floor.cpu) / median(more.cpu)).toFixed(3)}`,
    );
    const r = ours.result;
    const acted = r.signals.filter((s) => s.acted).length;
    const byType = new Map<string, number>();
    for (const s of r.signals) byType.set(s.type, (byType.get(s.type) ?? 0) + 1);
    const vetoes = new Map<string, number>();
    for (const s of r.signals) {
      if (!s.vetoReason) continue;
      const why = s.vetoReason.replace(/[\d.]+/g, 'N');
      vetoes.set(why, (vetoes.get(why) ?? 0) + 1);
    }
    const pnl = r.trades.reduce((a, x) => a + x.pnl, 0);
    console.error(
      `strategy: ${r.signals.length} signals (${[...byType].map(([k, v]) => `${k} ${v}`).join(', ')}), ${acted} acted on, ${r.orders.length} orders, ${r.trades.length} trades, ` +
        `net ${pnl.toFixed(2)} USDT, final equity ${r.finalEquity.toFixed(2)}`,
    );
    console.error(`  vetoes: ${[...vetoes].map(([k, v]) => `${k}: ${v}`).join('; ') || 'none'}`);
    const probe = new Engine(config, MARKET, seedStrategy(config));
    console.error(`  features computed (the seed strategy's declaration${only ? ', --features' : ''}): ${[...probe.features].join(', ')}; operators built: ${probe.operators.join(', ')}`);

    const rate = (s: number) => n / s;
    return [
      {
        bench: 'backtest',
        metric: 'backtest_events_per_s',
        ours: rate(ours.seconds),
        reference: rate(floor.seconds),
        referenceName: 'replay merge only, engine batching (floor)',
        ratio: floor.seconds / ours.seconds,
        target: only ? `(only --features ${only.join(',')}: not the seed strategy's figure)` : '>= 5M events/s, >= 0.5x floor',
      },
      {
        bench: 'backtest',
        metric: 'backtest_peak_rss_mb',
        ours: mn.mem.peakRss / MB,
        reference: mq.mem.peakRss / MB,
        referenceName: 'same, N/4 events',
        ratio: mq.mem.peakRss / mn.mem.peakRss,
        target: 'ratio ~1 (bounded, not growing with history; includes the in-memory market)',
      },
      {
        bench: 'backtest',
        metric: 'backtest_live_mb',
        ours: liveN,
        reference: liveQ,
        referenceName: 'same, N/4 events',
        ratio: liveN > 0 ? liveQ / liveN : null,
        target: 'peak live heap + buffers above the market; N ~ N/4 (ratio ~1) but for the outputs',
      },
    ];
  },
};
