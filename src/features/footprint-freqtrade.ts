/**
 * freqtrade-compatible footprint: reproduces freqtrade's `populate_dataframe_with_trades`
 * (freqtrade/data/converter/orderflow.py @ ed7eb01d1, the version of Oct 2024, unchanged through
 * c9ae5e1e of 2024-10-24) number for number, quirks included. docs/FEATURES.md lists every quirk;
 * the comments below name the pandas/numpy operation each step mirrors, because the floating
 * point results depend on it:
 *
 * - level sums (`groupby("price").sum()`): pandas `group_sum`, Kahan-compensated, in feed order,
 *   every trade updating every column (zeros included: a zero still applies the compensation);
 * - candle `bid` / `ask` (`np.where(...).sum()`): numpy pairwise summation over the candle's
 *   trades, zeros in place;
 * - min/max delta (`cumsum()`): plain sequential sums;
 * - levels (`(price / scale).round()`): `np.rint`, round half to even.
 *
 * Pure and columnar: typed arrays in; out, one object per candle and the levels of all candles as
 * columns (`freqtradeFootprintColumns`, what the command writes, no object per level), or
 * materialized as freqtrade's rows (`freqtradeFootprint`).
 */

export interface FreqtradeTrades {
  readonly length: number;
  /** Trade time, epoch ms. */
  readonly ts: Float64Array;
  readonly price: Float64Array;
  /** Base units. */
  readonly amount: Float64Array;
  /** Aggressor side: +1 buy, -1 sell. */
  readonly side: Int8Array;
}

export interface FreqtradeFootprintOptions {
  /** Candle length in ms (freqtrade `timeframe`); candles open at `floor(ts / tf) * tf`. */
  readonly timeframeMs: number;
  /** Level size (freqtrade `orderflow.scale`). */
  readonly scale: number;
  /** freqtrade `orderflow.imbalance_ratio`: an imbalance needs a count ratio strictly above it. */
  readonly imbalanceRatio: number;
  /** freqtrade `orderflow.imbalance_volume`: levels whose total volume is below it have none. */
  readonly imbalanceVolume: number;
  /** freqtrade `orderflow.stacked_imbalance_range`: run length that makes a stack. */
  readonly stackedRange: number;
}

/**
 * One level: `[price, level_index, bid_amount, ask_amount, bid, ask, delta, total_volume,
 * total_trades, bid_imbalance, ask_imbalance]`. `bid`/`ask` are trade COUNTS (sell / buy
 * aggressors), `bid_amount`/`ask_amount` their volumes, as in freqtrade.
 */
export type FreqtradeLevel = [
  price: number,
  level_index: number,
  bid_amount: number,
  ask_amount: number,
  bid: number,
  ask: number,
  delta: number,
  total_volume: number,
  total_trades: number,
  bid_imbalance: boolean,
  ask_imbalance: boolean,
];

export interface FreqtradeCandle {
  open_time_ms: number;
  open: number;
  high: number;
  low: number;
  close: number;
  volume: number;
  /** ask - bid. */
  delta: number;
  /** Lowest / highest running delta within the candle, starting at the first trade (not at 0). */
  min_delta: number;
  max_delta: number;
  total_trades: number;
  /** Volume of sell aggressors. */
  bid: number;
  /** Volume of buy aggressors. */
  ask: number;
  /** Price of the first level where a run of bid imbalances reaches the range, else null. */
  stacked_imbalances_bid: number | null;
  /** Price of the last level where a run of ask imbalances is at least the range, else null. */
  stacked_imbalances_ask: number | null;
  levels: FreqtradeLevel[];
}

/** A candle without its levels: they are rows `[levelStart, levelEnd)` of the level columns. */
export type FreqtradeCandleHead = Omit<FreqtradeCandle, 'levels'> & { readonly levelStart: number; readonly levelEnd: number };

/** The levels of every candle as columns, in candle order then ascending price. */
export class FreqtradeLevelColumns {
  length = 0;
  price = new Float64Array(0);
  levelIndex = new Float64Array(0);
  bidAmount = new Float64Array(0);
  askAmount = new Float64Array(0);
  /** Trade counts of sell / buy aggressors (freqtrade's `bid` / `ask`). */
  bid = new Int32Array(0);
  ask = new Int32Array(0);
  delta = new Float64Array(0);
  totalVolume = new Float64Array(0);
  totalTrades = new Int32Array(0);
  bidImbalance = new Uint8Array(0);
  askImbalance = new Uint8Array(0);

  /** Room for `extra` more rows. */
  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.price.length) return;
    const cap = Math.max(need, this.price.length * 2, 1024);
    const f64 = (a: Float64Array) => { const b = new Float64Array(cap); b.set(a.subarray(0, this.length)); return b; };
    const i32 = (a: Int32Array) => { const b = new Int32Array(cap); b.set(a.subarray(0, this.length)); return b; };
    const u8 = (a: Uint8Array) => { const b = new Uint8Array(cap); b.set(a.subarray(0, this.length)); return b; };
    this.price = f64(this.price);
    this.levelIndex = f64(this.levelIndex);
    this.bidAmount = f64(this.bidAmount);
    this.askAmount = f64(this.askAmount);
    this.bid = i32(this.bid);
    this.ask = i32(this.ask);
    this.delta = f64(this.delta);
    this.totalVolume = f64(this.totalVolume);
    this.totalTrades = i32(this.totalTrades);
    this.bidImbalance = u8(this.bidImbalance);
    this.askImbalance = u8(this.askImbalance);
  }

  /** Row `i` as freqtrade's level row. */
  row(i: number): FreqtradeLevel {
    return [
      this.price[i], this.levelIndex[i], this.bidAmount[i], this.askAmount[i], this.bid[i], this.ask[i],
      this.delta[i], this.totalVolume[i], this.totalTrades[i], this.bidImbalance[i] === 1, this.askImbalance[i] === 1,
    ];
  }
}

export interface FreqtradeFootprintColumns {
  readonly candles: readonly FreqtradeCandleHead[];
  readonly levels: FreqtradeLevelColumns;
}

/** numpy `rint`: round half to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // halves go up
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * numpy's pairwise sum (`DOUBLE_pairwise_sum`, what `ndarray.sum()` runs on a contiguous float64
 * array): under 8 values a plain loop, up to 128 eight accumulators, beyond that halves split
 * at a multiple of 8.
 */
export function pairwiseSum(a: Float64Array, start: number, n: number): number {
  if (n < 8) {
    let res = -0;
    for (let i = 0; i < n; i++) res += a[start + i];
    return res;
  }
  if (n <= 128) {
    let r0 = a[start], r1 = a[start + 1], r2 = a[start + 2], r3 = a[start + 3];
    let r4 = a[start + 4], r5 = a[start + 5], r6 = a[start + 6], r7 = a[start + 7];
    let i = 8;
    const end = n - (n % 8);
    for (; i < end; i += 8) {
      const p = start + i;
      r0 += a[p]; r1 += a[p + 1]; r2 += a[p + 2]; r3 += a[p + 3];
      r4 += a[p + 4]; r5 += a[p + 5]; r6 += a[p + 6]; r7 += a[p + 7];
    }
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) res += a[start + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

// Per-level accumulators, 8 doubles a slot: Kahan sum and compensation of bid_amount, ask_amount,
// delta, total_volume (pandas group_sum: y = v - c; t = s + y; c = (t - s) - y; s = t).
const BA = 0, AA = 2, DE = 4, TV = 6;

class Scratch {
  acc = new Float64Array(8 * 64);
  bidN = new Int32Array(64);
  askN = new Int32Array(64);
  /** Slot of each trade of the candle being built. */
  slot = new Int32Array(64);
  /** Bid values, ask values and amounts of the candle in feed order, for pairwise sums. */
  bidV = new Float64Array(64);
  askV = new Float64Array(64);
  amtV = new Float64Array(64);
  keys = new Float64Array(64);
  buy = new Uint8Array(64);

  ensureTrades(n: number): void {
    if (this.slot.length >= n) return;
    const cap = Math.max(n, this.slot.length * 2);
    this.slot = new Int32Array(cap);
    this.bidV = new Float64Array(cap);
    this.askV = new Float64Array(cap);
    this.amtV = new Float64Array(cap);
    this.keys = new Float64Array(cap);
    this.buy = new Uint8Array(cap);
  }

  ensureSlots(n: number): void {
    if (this.bidN.length >= n) return;
    const cap = Math.max(n, this.bidN.length * 2);
    this.acc = new Float64Array(8 * cap);
    this.bidN = new Int32Array(cap);
    this.askN = new Int32Array(cap);
  }
}

/**
 * The footprint of every candle that has trades, oldest first, each with its levels as
 * freqtrade's rows (see `freqtradeFootprintColumns`).
 */
export function freqtradeFootprint(trades: FreqtradeTrades, opts: FreqtradeFootprintOptions): FreqtradeCandle[] {
  const { candles, levels } = freqtradeFootprintColumns(trades, opts);
  return candles.map(({ levelStart, levelEnd, ...c }) => {
    const rows: FreqtradeLevel[] = [];
    for (let i = levelStart; i < levelEnd; i++) rows.push(levels.row(i));
    return { ...c, levels: rows };
  });
}

/**
 * The footprint of every candle that has trades, oldest first, the levels of all candles in one
 * set of columns. Trades belong to the candle their own time falls in, whatever their position
 * in the feed; within a candle, feed order is kept (it decides min/max delta and, in the last
 * bits, the sums), as pandas `groupby` keeps it.
 */
export function freqtradeFootprintColumns(trades: FreqtradeTrades, opts: FreqtradeFootprintOptions): FreqtradeFootprintColumns {
  const n = trades.length;
  const ts = trades.ts;
  const tf = opts.timeframeMs;
  const scale = opts.scale;
  if (!(tf > 0) || !(scale > 0)) throw new RangeError(`timeframeMs and scale must be > 0 (got ${tf}, ${scale})`);
  const out: FreqtradeCandleHead[] = [];
  const levels = new FreqtradeLevelColumns();
  if (n === 0) return { candles: out, levels };

  // Feed order is kept unless a trade falls in an earlier candle than its predecessor, in which
  // case trades are stably regrouped by candle (pandas groupby sort=True). In order (the usual
  // case), a candle is a run of trades: one pass finds where each run starts, and nothing per
  // trade is stored.
  const starts: number[] = [0];
  let ordered = true;
  for (let i = 1, prev = Math.floor(ts[0] / tf); i < n; i++) {
    const c = Math.floor(ts[i] / tf);
    if (c === prev) continue;
    if (c < prev) {
      ordered = false;
      break;
    }
    starts.push(i);
    prev = c;
  }
  const s = new Scratch();
  if (ordered) {
    starts.push(n);
    for (let k = 0; k + 1 < starts.length; k++) {
      const a = starts[k];
      out.push(buildCandle(trades, undefined, a, starts[k + 1], Math.floor(ts[a] / tf) * tf, opts, s, levels));
    }
    return { candles: out, levels };
  }
  const candleOf = new Float64Array(n);
  for (let i = 0; i < n; i++) candleOf[i] = Math.floor(ts[i] / tf) * tf;
  const order = stableOrderByCandle(candleOf);
  for (let a = 0; a < n; ) {
    const c0 = candleOf[order[a]];
    let b = a + 1;
    while (b < n && candleOf[order[b]] === c0) b++;
    out.push(buildCandle(trades, order, a, b, c0, opts, s, levels));
    a = b;
  }
  return { candles: out, levels };
}

/** Trade indexes grouped by candle (ascending), feed order kept within a candle. */
function stableOrderByCandle(candleOf: Float64Array): Uint32Array {
  const n = candleOf.length;
  const distinct = Float64Array.from(new Set(candleOf)).sort();
  const rank = new Map<number, number>();
  for (let i = 0; i < distinct.length; i++) rank.set(distinct[i], i);
  const start = new Uint32Array(distinct.length + 1);
  const r = new Uint32Array(n);
  for (let i = 0; i < n; i++) {
    r[i] = rank.get(candleOf[i])!;
    start[r[i] + 1]++;
  }
  for (let k = 0; k < distinct.length; k++) start[k + 1] += start[k];
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[start[r[i]]++] = i;
  return order;
}

function buildCandle(
  t: FreqtradeTrades,
  order: Uint32Array | undefined,
  a: number,
  b: number,
  openTime: number,
  opts: FreqtradeFootprintOptions,
  s: Scratch,
  L: FreqtradeLevelColumns,
): FreqtradeCandleHead {
  const m = b - a;
  const { price, amount, side } = t;
  const scale = opts.scale;
  s.ensureTrades(m);
  const { bidV, askV, amtV, keys, slot, buy: isBuy } = s;

  // Pass 1: OHLC, running delta (numpy cumsum, sequential), level keys, per-trade values.
  let high = -Infinity, low = Infinity;
  let run = 0, minDelta = Infinity, maxDelta = -Infinity;
  let kMin = Infinity, kMax = -Infinity;
  for (let j = 0; j < m; j++) {
    const i = order ? order[a + j] : a + j;
    const p = price[i], q = amount[i];
    if (p > high) high = p;
    if (p < low) low = p;
    const buy = side[i] > 0;
    isBuy[j] = buy ? 1 : 0;
    bidV[j] = buy ? 0 : q;
    askV[j] = buy ? q : 0;
    amtV[j] = q;
    run += buy ? q : -q;
    if (run < minDelta) minDelta = run;
    if (run > maxDelta) maxDelta = run;
    const k = roundHalfEven(p / scale);
    keys[j] = k;
    if (k < kMin) kMin = k;
    if (k > kMax) kMax = k;
  }

  // Level slots: dense by key offset when the span is small, else by rank among distinct keys.
  let sparseKeys: Float64Array | undefined; // the distinct keys, when slots are ranks
  const span = kMax - kMin + 1;
  if (span <= 4 * m + 16) {
    s.ensureSlots(span);
    s.bidN.fill(0, 0, span);
    s.askN.fill(0, 0, span);
    s.acc.fill(0, 0, 8 * span);
    for (let j = 0; j < m; j++) slot[j] = keys[j] - kMin;
  } else {
    const sorted = keys.slice(0, m).sort();
    let u = 0;
    for (let j = 0; j < m; j++) if (j === 0 || sorted[j] !== sorted[u - 1]) sorted[u++] = sorted[j];
    sparseKeys = sorted.subarray(0, u);
    s.ensureSlots(u);
    s.bidN.fill(0, 0, u);
    s.askN.fill(0, 0, u);
    s.acc.fill(0, 0, 8 * u);
    for (let j = 0; j < m; j++) slot[j] = binarySearch(sparseKeys, keys[j]);
  }

  // Pass 2: pandas group_sum in feed order, every column updated by every trade.
  const acc = s.acc, bidN = s.bidN, askN = s.askN;
  for (let j = 0; j < m; j++) {
    const o = 8 * slot[j];
    const bv = bidV[j], av = askV[j];
    if (isBuy[j]) askN[slot[j]]++;
    else bidN[slot[j]]++;
    kahan(acc, o + BA, bv);
    kahan(acc, o + AA, av);
    kahan(acc, o + DE, av - bv);
    kahan(acc, o + TV, av + bv);
  }

  // Occupied levels in ascending key order, appended to the columns.
  const slots = sparseKeys ? sparseKeys.length : span;
  L.reserve(slots);
  const levelStart = L.length;
  let r = levelStart;
  for (let z = 0; z < slots; z++) {
    const cnt = bidN[z] + askN[z];
    if (cnt === 0) continue;
    const k = sparseKeys ? sparseKeys[z] : kMin + z;
    const o = 8 * z;
    L.price[r] = k * scale;
    L.levelIndex[r] = k;
    L.bidAmount[r] = acc[o + BA];
    L.askAmount[r] = acc[o + AA];
    L.bid[r] = bidN[z];
    L.ask[r] = askN[z];
    L.delta[r] = acc[o + DE];
    L.totalVolume[r] = acc[o + TV];
    L.totalTrades[r] = cnt;
    r++;
  }
  L.length = r;
  const stacked = imbalances(L, levelStart, r, opts);

  const bid = pairwiseSum(bidV, 0, m);
  const ask = pairwiseSum(askV, 0, m);
  return {
    open_time_ms: openTime,
    open: price[order ? order[a] : a],
    high,
    low,
    close: price[order ? order[b - 1] : b - 1],
    volume: pairwiseSum(amtV, 0, m),
    delta: ask - bid,
    min_delta: minDelta,
    max_delta: maxDelta,
    total_trades: m,
    bid,
    ask,
    stacked_imbalances_bid: stacked.bid,
    stacked_imbalances_ask: stacked.ask,
    levelStart,
    levelEnd: r,
  };
}

function kahan(acc: Float64Array, o: number, v: number): void {
  const y = v - acc[o + 1];
  const t = acc[o] + y;
  acc[o + 1] = t - acc[o] - y;
  acc[o] = t;
}

function binarySearch(keys: Float64Array, k: number): number {
  let lo = 0, hi = keys.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid] < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * freqtrade `trades_orderflow_to_imbalances` + `stacked_imbalance_bid/_ask`, in place on the
 * levels' imbalance flags. Diagonal: level i's bid COUNT against the ask COUNT of the next level
 * that has trades (`ask.shift(-1)`; the top level compares with NaN, so is never imbalanced).
 */
function imbalances(L: FreqtradeLevelColumns, from: number, to: number, opts: FreqtradeFootprintOptions): { bid: number | null; ask: number | null } {
  const { imbalanceRatio: ratio, imbalanceVolume: minVol, stackedRange: range } = opts;
  let bidRun = 0, askRun = 0;
  let stackedBid: number | null = null, stackedAsk: number | null = null;
  for (let i = from; i < to; i++) {
    const bidC = L.bid[i];
    const askNext = i + 1 < to ? L.ask[i + 1] : NaN;
    const enough = !(L.totalVolume[i] < minVol);
    const bidImb = enough && bidC / askNext > ratio;
    const askImb = enough && askNext / bidC > ratio;
    L.bidImbalance[i] = bidImb ? 1 : 0;
    L.askImbalance[i] = askImb ? 1 : 0;
    // Run length at i (0 when not imbalanced); a stack is any i where it reaches `range`.
    bidRun = bidImb ? bidRun + 1 : 0;
    askRun = askImb ? askRun + 1 : 0;
    if (stackedBid === null && bidRun >= range) stackedBid = L.price[i];
    if (askRun >= range) stackedAsk = L.price[i];
  }
  return { bid: stackedBid, ask: stackedAsk };
}
