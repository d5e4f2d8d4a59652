/**
 * Absorption events (docs/features/absorption.md "Absorption events"; strategy point 2 of
 * DESIGN.md): price reaches a liquidation zone, aggressive volume keeps hitting it, but the
 * liquidations stop and price does not progress: the other side is absorbing.
 *
 * Zones come from the caller (`zonesFromClusters`, `zonesFromPredicted`, or any list), so the
 * operator does not care how they were found. A zone of LONG liquidations (below price) is
 * attacked by aggressive SELLING and absorbed by buyers; a zone of SHORT liquidations by
 * aggressive BUYING, absorbed by sellers.
 *
 * Time is cut into epoch-aligned sub-bars of `stepMs`; the window is the last `windowMs /
 * stepMs` sub-bars. At each sub-bar close t, for each zone price is visiting (the last trade is
 * inside the zone's band) and that has not fired during this visit:
 *
 *   attack  = aggressive volume of the attack side printed inside the band over [t - W, t)
 *   typical = median over the `lookbackWindows` windows before t - W of the market's aggressive
 *             volume of that side (all prices), each window W long, aligned on t
 *   liq     = liquidated qty of the zone's side inside the band over [t - W, t) ("during") and
 *             over [t - 2W, t - W) ("before")
 *   progress_bps = 1e4 x (ref - lowest visit trade in the window) / ref   (long zone; mirror for
 *             short), ref = the visit's entry price if the visit began inside the window, else
 *             the last trade price at t - W
 *
 * and fires when attack > 0, attack >= volumeMultiple x typical, progress_bps <= maxProgressBps,
 * and the liquidations say which kind it is: `cascade-stop` when liquidations were printing on
 * the approach and stopped (before > 0, during <= maxLiquidationRatio x before), `revisit` when
 * price came back to the zone and none printed at all (before = during = 0). Liquidations
 * starting (before 0, during > 0) or going on are no absorption. One event per visit; a visit
 * ends at the first trade outside the band.
 *
 * Both paths drive the same Engine: AbsorptionOperator (push trades and liquidations in time
 * order, any chunks) and absorptionBatch (merges whole columns). Everything a sub-bar holds is a
 * sum, min or max, and liquidations never read price state, so a trade and a liquidation of the
 * same sub-bar may come in either order. State: fixed-size rings, O(zones x window) plus
 * O(lookback x window), whatever the trade rate or the time span.
 */
import type { LiquidationColumns, TradeColumns } from '../core/columns.ts';
import type { LiquidatedSide, LiquidationBins, LiquidationCluster } from './liquidations.ts';
import { binner } from './liquidations.ts';
import { OutOfOrderError, type Emit } from './operator.ts';
import type { PredictedLevel, PredictedLiquidationSnapshot } from './predicted-liquidations.ts';

/** A price zone formed (or projected) by one side's liquidations. */
export interface AbsorptionZone {
  readonly low: number;
  readonly high: number;
  /** Whose liquidations formed it: `long` (below price, attacked by selling) or `short` (above, attacked by buying). */
  readonly side: LiquidatedSide;
  readonly source: 'realized' | 'predicted';
  /** The zone is known from this time on: a visit can start only with a trade at ts >= from_ts. Default -Infinity. */
  readonly from_ts?: number;
  /** ... and before this time; no event after it. Default Infinity. */
  readonly to_ts?: number;
}

/**
 * `cascade-stop`: liquidations of the zone's side were printing in the band over the window
 * before and (nearly) stopped; `revisit`: price came back to the zone, and no liquidation printed
 * in the band over either window.
 */
export type AbsorptionKind = 'cascade-stop' | 'revisit';

export const ABSORPTION_KINDS: readonly AbsorptionKind[] = ['cascade-stop', 'revisit'];

/** `buyers_absorb`: buyers absorbed selling at a long-liquidation zone (bullish); `sellers_absorb` the mirror (bearish). */
export type AbsorptionDirection = 'buyers_absorb' | 'sellers_absorb';

export interface AbsorptionEvent {
  /** When the event becomes known: the close of the window's last sub-bar (= window_end_ms). */
  readonly ts: number;
  /** Which evidence it rests on (see AbsorptionKind). */
  readonly kind: AbsorptionKind;
  readonly direction: AbsorptionDirection;
  readonly bias: 'bullish' | 'bearish';
  /** Index of the zone in `options.zones`, and the zone. */
  readonly zone_index: number;
  readonly zone: AbsorptionZone;
  /** Aggressor side of the attack: `sell` at a long zone, `buy` at a short zone. */
  readonly attack_side: 'buy' | 'sell';
  readonly window_start_ms: number;
  readonly window_end_ms: number;
  /** First trade of the visit inside the band: its time and price. */
  readonly visit_start_ms: number;
  readonly entry_price: number;
  /** Attack-side aggressive volume inside the band over the window, base units. */
  readonly attack_volume: number;
  /** Median attack-side volume (all prices) of the past windows, base units. */
  readonly typical_volume: number;
  /** attack_volume / typical_volume (Infinity on a quiet tape: typical 0). */
  readonly attack_ratio: number;
  /** VWAP of the attack trades inside the band over the window. */
  readonly vwap: number;
  /** Liquidated qty (base) of the zone's side inside the band over the previous window and this one. */
  readonly liquidations_before: number;
  readonly liquidations_during: number;
  /** Reference price of the progress (see module comment), and the furthest visit trade in the attack direction. */
  readonly ref_price: number;
  readonly extreme_price: number;
  /** Signed: > 0 price went further in the attack direction, < 0 it went the other way. */
  readonly progress_bps: number;
  /** Last trade price at ts. */
  readonly close: number;
}

export interface AbsorptionOptions {
  readonly zones: readonly AbsorptionZone[];
  /** Window length, a whole multiple of stepMs. Default 60 000 (1 m). */
  readonly windowMs?: number;
  /** Sub-bar length: how often the window is evaluated. Default 5 000 (5 s). */
  readonly stepMs?: number;
  /** Past windows in the typical-volume median. Default 60. */
  readonly lookbackWindows?: number;
  /** Past windows (since the stream's first event) needed before any event, 1..lookbackWindows. Default = lookbackWindows. */
  readonly warmupWindows?: number;
  /** attack >= volumeMultiple x typical. Default 2. */
  readonly volumeMultiple?: number;
  /** cascade-stop: liquidations during <= maxLiquidationRatio x liquidations before (> 0). Default 0.25. */
  readonly maxLiquidationRatio?: number;
  /** progress_bps <= this. Default 5. */
  readonly maxProgressBps?: number;
  /** The band is [low x (1 - tol/1e4), high x (1 + tol/1e4)]. Default 5. */
  readonly toleranceBps?: number;
}

export const DEFAULT_ABSORPTION_WINDOW_MS = 60_000;
export const DEFAULT_ABSORPTION_STEP_MS = 5_000;

interface Params {
  readonly step: number;
  /** Sub-bars per window. */
  readonly k: number;
  readonly lookback: number;
  readonly warmup: number;
  readonly multiple: number;
  readonly liqRatio: number;
  readonly maxProgress: number;
  readonly tol: number;
  readonly zones: readonly AbsorptionZone[];
}

function params(o: AbsorptionOptions): Params {
  const step = o.stepMs ?? DEFAULT_ABSORPTION_STEP_MS;
  const w = o.windowMs ?? DEFAULT_ABSORPTION_WINDOW_MS;
  const lookback = o.lookbackWindows ?? 60;
  const p: Params = {
    step,
    k: w / step,
    lookback,
    warmup: o.warmupWindows ?? lookback,
    multiple: o.volumeMultiple ?? 2,
    liqRatio: o.maxLiquidationRatio ?? 0.25,
    maxProgress: o.maxProgressBps ?? 5,
    tol: o.toleranceBps ?? 5,
    zones: o.zones,
  };
  if (!(step > 0) || !Number.isFinite(step)) throw new RangeError(`absorption: stepMs must be > 0, got ${step}`);
  if (!(Number.isInteger(p.k) && p.k >= 1 && p.k <= 100_000)) throw new RangeError(`absorption: windowMs must be a whole multiple (1..100000) of stepMs ${step}, got ${w}`);
  if (!(Number.isInteger(lookback) && lookback >= 1 && lookback <= 10_000)) throw new RangeError(`absorption: lookbackWindows must be a whole number in 1..10000, got ${lookback}`);
  if (!(Number.isInteger(p.warmup) && p.warmup >= 1 && p.warmup <= lookback)) throw new RangeError(`absorption: warmupWindows must be a whole number in 1..lookbackWindows (${lookback}), got ${p.warmup}`);
  if (!(p.multiple >= 0) || !Number.isFinite(p.multiple)) throw new RangeError(`absorption: volumeMultiple must be finite and >= 0, got ${p.multiple}`);
  if (!(p.liqRatio >= 0) || !Number.isFinite(p.liqRatio)) throw new RangeError(`absorption: maxLiquidationRatio must be finite and >= 0, got ${p.liqRatio}`);
  if (Number.isNaN(p.maxProgress)) throw new RangeError('absorption: maxProgressBps must be a number, got NaN');
  if (!(p.tol >= 0 && p.tol < 1e4)) throw new RangeError(`absorption: toleranceBps must be in [0, 10000), got ${p.tol}`);
  checkZones(p.zones);
  return p;
}

function checkZones(zones: readonly AbsorptionZone[]): void {
  zones.forEach((z, i) => {
    if (!(z.low > 0 && z.high >= z.low && Number.isFinite(z.high))) throw new RangeError(`absorption: zones[${i}] has low ${z.low}, high ${z.high}; need 0 < low <= high, finite`);
    if (z.side !== 'long' && z.side !== 'short') throw new RangeError(`absorption: zones[${i}] has side ${JSON.stringify(z.side)}; accepted: 'long', 'short'`);
    if (z.source !== 'realized' && z.source !== 'predicted') throw new RangeError(`absorption: zones[${i}] has source ${JSON.stringify(z.source)}; accepted: 'realized', 'predicted'`);
  });
}

function checkRow(kind: string, c: TradeColumns | LiquidationColumns, i: number): void {
  const px = c.price[i];
  const q = c.qty[i];
  if (!(px > 0) || !Number.isFinite(px)) throw new RangeError(`absorption: ${kind} row ${i} has price ${px}; prices must be finite and > 0`);
  if (!(q >= 0) || !Number.isFinite(q)) throw new RangeError(`absorption: ${kind} row ${i} has qty ${q}; quantities must be finite and >= 0`);
  if (c.side[i] !== 1 && c.side[i] !== -1) throw new RangeError(`absorption: ${kind} row ${i} has side ${c.side[i]}; accepted: 1 (buy), -1 (sell)`);
}

/**
 * The value of rank r (0-based, ascending) of a[0, n), by selection (Hoare partitions): a is
 * rearranged so that a[i] <= a[r] for every i < r and a[i] >= a[r] for every i > r.
 */
export function selectRank(a: Float64Array, n: number, r: number): number {
  let lo = 0;
  let hi = n - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (r <= j) hi = j;
    else if (r >= i) lo = i;
    else break;
  }
  return a[r];
}

/**
 * Ring slot of absolute sub-bar k (a whole number) in a ring of n. Not `k % n`: a sub-bar index
 * of epoch milliseconds is past 31 bits, and `%` on such a double is a call to `fmod`. The
 * quotient of a float division is off by at most one, and k - q x n is exact below 2^53, so one
 * correction gives the same slot.
 */
function slot(k: number, n: number): number {
  const r = k - Math.floor(k / n) * n;
  return r < 0 ? r + n : r >= n ? r - n : r;
}

/** One zone's rings (indexed by absolute sub-bar) and visit state. */
class ZoneState {
  /** Aggressor side of the attack (-1 sell at a long zone, +1 buy at a short zone). */
  readonly attack: 1 | -1;
  /** Forced-order side of the zone's liquidations (-1 sell = longs, +1 buy = shorts). */
  readonly liqSide: 1 | -1;
  readonly lo: number;
  readonly hi: number;
  readonly from: number;
  /** Mutable: `setZones` retires a zone by moving its end to the retirement time. */
  to: number;
  /** Empty value of the extreme ring: +Infinity (min, long zone) or -Infinity (max, short zone). */
  readonly none: number;
  readonly att: Float64Array;
  readonly attN: Float64Array;
  readonly ext: Float64Array;
  /** 2 windows: before and during. */
  readonly liq: Float64Array;
  visit = false;
  fired = false;
  visitStart = NaN;
  entry = NaN;

  constructor(
    readonly zone: AbsorptionZone,
    readonly index: number,
    k: number,
    tol: number,
  ) {
    const long = zone.side === 'long';
    this.attack = long ? -1 : 1;
    this.liqSide = long ? -1 : 1;
    this.lo = zone.low * (1 - tol / 1e4);
    this.hi = zone.high * (1 + tol / 1e4);
    this.from = zone.from_ts ?? -Infinity;
    this.to = zone.to_ts ?? Infinity;
    this.none = long ? Infinity : -Infinity;
    this.att = new Float64Array(k);
    this.attN = new Float64Array(k);
    this.ext = new Float64Array(k).fill(this.none);
    this.liq = new Float64Array(2 * k);
  }

  /** Sub-bar opens: its slot s in the attack rings and l in the liquidation ring (the same for every zone, taken once). */
  open(s: number, l: number): void {
    this.att[s] = 0;
    this.attN[s] = 0;
    this.ext[s] = this.none;
    this.liq[l] = 0;
  }

  clear(): void {
    this.att.fill(0);
    this.attN.fill(0);
    this.ext.fill(this.none);
    this.liq.fill(0);
  }
}

/** Per-event updates and sub-bar closes: the one code both paths run. */
class Engine {
  private zs: ZoneState[];
  private nextIndex: number;
  /** Liquidations of the last two windows (sub-bar index k), for zones added later. */
  private recent: { k: number; price: number; qty: number; side: number }[] = [];
  /** Ring length of the market volume history: the current window and `lookback` past ones. */
  private readonly g: number;
  private readonly buyV: Float64Array;
  private readonly sellV: Float64Array;
  /** Last trade price at the close of each of the last k + 1 sub-bars. */
  private readonly closes: Float64Array;
  /**
   * Market volume of the window ending at each sub-bar (same ring as buyV/sellV), summed once when
   * the sub-bar closes, in the same order `typical` used to sum it at every close that needed it.
   */
  private readonly winBuy: Float64Array;
  private readonly winSell: Float64Array;
  private readonly sums: Float64Array;
  /** Open sub-bar (absolute index floor(ts / step)) and the first one of the stream; NaN before any event. */
  private kOpen = NaN;
  /** The open sub-bar's slots in the volume ring and the zones' attack rings (kept with kOpen: a `%` per trade is not free). */
  private gOpen = 0;
  private sOpen = 0;
  private kStart = NaN;
  private last = NaN;
  /**
   * Trade fast path: (cellLo, cellHi) is the open price interval between the band edges around
   * the last trade that scanned every zone (NaN when that trade was on an edge), and inBand[0,
   * inBandN) the zones whose band holds it. Adding or dropping a zone voids it.
   */
  private cellLo = NaN;
  private cellHi = NaN;
  private inBand: ZoneState[] = [];
  private inBandN = 0;

  constructor(
    private readonly p: Params,
    private readonly emit: Emit<AbsorptionEvent>,
  ) {
    this.zs = p.zones.map((z, i) => new ZoneState(z, i, p.k, p.tol));
    this.nextIndex = this.zs.length;
    this.g = (p.lookback + 1) * p.k;
    this.buyV = new Float64Array(this.g);
    this.sellV = new Float64Array(this.g);
    this.closes = new Float64Array(p.k + 1).fill(NaN);
    this.winBuy = new Float64Array(this.g);
    this.winSell = new Float64Array(this.g);
    this.sums = new Float64Array(p.lookback);
  }

  /** Trade row `row` of c (read here, not passed in: a call that is not inlined would box each ts, price and qty). */
  trade(c: TradeColumns, row: number): void {
    const ts = c.ts[row];
    const price = c.price[row];
    const qty = c.qty[row];
    const side = c.side[row];
    // Within the open sub-bar advance has nothing to do (and a call not inlined would box ts).
    if (Math.floor(ts / this.p.step) !== this.kOpen) this.advance(ts);
    this.last = price;
    const g = this.gOpen;
    if (side > 0) this.buyV[g] += qty;
    else this.sellV[g] += qty;
    const s = this.sOpen;
    // Between two consecutive band edges the zones whose band holds the price do not change, and
    // every other zone has no visit open (the last trade that scanned them was outside them
    // too): only the zones in the band need this trade.
    if (price > this.cellLo && price < this.cellHi) {
      const inBand = this.inBand;
      for (let i = 0; i < this.inBandN; i++) this.bandTrade(inBand[i], c, row, s);
      return;
    }
    let cellLo = -Infinity;
    let cellHi = Infinity;
    let n = 0;
    for (const z of this.zs) {
      // Outside the band: a visit ends (a zone not yet known has none open).
      if (price < z.lo) {
        if (z.lo < cellHi) cellHi = z.lo;
        z.visit = false;
        continue;
      }
      if (price > z.hi) {
        if (z.hi > cellLo) cellLo = z.hi;
        z.visit = false;
        continue;
      }
      // On an edge: no open cell (NaN stays NaN through the comparisons below).
      if (price === z.lo || price === z.hi) cellLo = cellHi = NaN;
      if (z.lo > cellLo) cellLo = z.lo;
      if (z.hi < cellHi) cellHi = z.hi;
      this.inBand[n++] = z;
      this.bandTrade(z, c, row, s);
    }
    this.inBandN = n;
    this.cellLo = cellLo;
    this.cellHi = cellHi;
  }

  /** Trade row `row` of c, inside z's band (slot s of the open sub-bar); read from the columns, not passed (no boxing). */
  private bandTrade(z: ZoneState, c: TradeColumns, row: number, s: number): void {
    const ts = c.ts[row];
    const price = c.price[row];
    const qty = c.qty[row];
    const side = c.side[row];
    // A zone sees no trade from before it was known (so a zone added later by setZones
    // holds exactly what one given up front with the same from_ts would).
    if (ts < z.from) return;
    if (!z.visit && ts < z.to) {
      z.visit = true;
      z.fired = false;
      z.visitStart = ts;
      z.entry = price;
      z.ext.fill(z.none);
    }
    if (side === z.attack) {
      z.att[s] += qty;
      z.attN[s] += price * qty;
    }
    // A band trade outside a visit (zone not live) is wiped when the next visit starts.
    z.ext[s] = z.attack < 0 ? Math.min(z.ext[s], price) : Math.max(z.ext[s], price);
  }

  /** Liquidation row i of c (read here, not passed in: a call that is not inlined would box each ts, price and qty). */
  liquidation(c: LiquidationColumns, i: number): void {
    const ts = c.ts[i];
    const price = c.price[i];
    const qty = c.qty[i];
    const side = c.side[i];
    if (Math.floor(ts / this.p.step) !== this.kOpen) this.advance(ts);
    const s = slot(this.kOpen, 2 * this.p.k);
    for (const z of this.zs) if (side === z.liqSide && price >= z.lo && price <= z.hi) z.liq[s] += qty;
    // Kept for zones added later: their "liquidations before" include these (they are past).
    this.recent.push({ k: this.kOpen, price, qty, side });
  }

  /**
   * Adds a zone from now on (its from_ts is at least the last event's sub-bar); it starts with
   * the liquidations of the last two windows already in its ring, as a zone given up front would
   * have. Returns its index (the `zone_index` of its events).
   */
  addZone(zone: AbsorptionZone): number {
    const z = new ZoneState(zone, this.nextIndex++, this.p.k, this.p.tol);
    const k2 = 2 * this.p.k;
    for (const r of this.recent) {
      if (r.k > this.kOpen - k2 && r.side === z.liqSide && r.price >= z.lo && r.price <= z.hi) z.liq[slot(r.k, k2)] += r.qty;
    }
    this.zs.push(z);
    this.cellLo = this.cellHi = NaN;
    return z.index;
  }

  /** No visit starts at or after `ts` and no event fires after it; the zone is dropped once no close can reach it. */
  retireZone(index: number, ts: number): void {
    for (const z of this.zs) if (z.index === index) z.to = Math.min(z.to, ts);
  }

  /** Zones not retired (to_ts still Infinity or in the future of `ts`). */
  liveZones(ts: number): readonly { readonly index: number; readonly zone: AbsorptionZone }[] {
    return this.zs.filter((z) => z.to > ts);
  }

  /** Ends the stream: the open sub-bar is closed (evaluated as if complete) and all state is dropped. */
  flush(): void {
    if (!Number.isNaN(this.kOpen)) this.close(this.kOpen);
    this.kOpen = NaN;
    this.kStart = NaN;
    this.last = NaN;
    this.buyV.fill(0);
    this.sellV.fill(0);
    this.winBuy.fill(0);
    this.winSell.fill(0);
    this.closes.fill(NaN);
    this.recent = [];
    this.cellLo = this.cellHi = NaN;
    for (const z of this.zs) {
      z.clear();
      z.visit = false;
      z.fired = false;
      z.visitStart = NaN;
      z.entry = NaN;
    }
  }

  private advance(ts: number): void {
    const kk = Math.floor(ts / this.p.step);
    if (Number.isNaN(this.kOpen)) {
      if (!Number.isFinite(kk)) throw new RangeError(`absorption: event time ${ts} is not finite`);
      this.setOpen(kk);
      this.kStart = kk;
      this.openSlots(kk);
      return;
    }
    if (!(kk >= this.kOpen)) throw new OutOfOrderError(ts, this.kOpen * this.p.step);
    if (kk === this.kOpen) return;
    if (!Number.isFinite(kk)) throw new RangeError(`absorption: event time ${ts} is not finite`);
    this.close(this.kOpen);
    let k = this.kOpen + 1;
    const kw = this.p.k;
    if (kk - k > kw + this.g) {
      // A long gap: after kw empty sub-bars no window holds attack volume (no event can fire),
      // and after g every ring is empty; jumping gives exactly what stepping would.
      for (const end = k + kw; k < end; k++) {
        this.openSlots(k);
        this.close(k);
      }
      this.buyV.fill(0);
      this.sellV.fill(0);
      this.winBuy.fill(0);
      this.winSell.fill(0);
      this.closes.fill(this.last);
      for (const z of this.zs) z.clear();
      k = kk;
    }
    for (; k < kk; k++) {
      this.openSlots(k);
      this.close(k);
    }
    this.openSlots(kk);
    this.setOpen(kk);
    this.prune();
  }

  private setOpen(k: number): void {
    this.kOpen = k;
    this.gOpen = slot(k, this.g);
    this.sOpen = slot(k, this.p.k);
  }

  /** Bounded state under setZones: drop liquidations older than two windows and zones no close can fire again. */
  private prune(): void {
    const oldest = this.kOpen - 2 * this.p.k;
    const recent = this.recent;
    if (recent.length > 0 && recent[0].k <= oldest) {
      // In place (this runs every sub-bar while liquidations age out).
      let w = 0;
      for (let i = 0; i < recent.length; i++) if (recent[i].k > oldest) recent[w++] = recent[i];
      recent.length = w;
    }
    const nextClose = (this.kOpen + 1) * this.p.step;
    let stale = false;
    for (let i = 0; i < this.zs.length && !stale; i++) stale = this.zs[i].to < nextClose;
    if (stale) {
      this.zs = this.zs.filter((z) => z.to >= nextClose);
      this.cellLo = this.cellHi = NaN;
      this.inBandN = 0;
    }
  }

  private openSlots(k: number): void {
    const g = slot(k, this.g);
    this.buyV[g] = 0;
    this.sellV[g] = 0;
    if (this.zs.length === 0) return;
    const s = slot(k, this.p.k);
    const l = slot(k, 2 * this.p.k);
    for (const z of this.zs) z.open(s, l);
  }

  /** Median attack-side market volume of the past windows before sub-bar k's window; NaN before warm-up. */
  private typical(k: number, attack: number): number {
    const kw = this.p.k;
    const valid = Math.min(this.p.lookback, Math.floor((k - this.kStart + 1) / kw) - 1);
    if (valid < this.p.warmup) return NaN;
    const win = attack > 0 ? this.winBuy : this.winSell;
    const sums = this.sums;
    // slot(k - j * kw, g) for j = 1, 2, ...: stepped back kw at a time (no `%` per value).
    let s = slot(k - kw, this.g);
    for (let j = 0; j < valid; j++) {
      sums[j] = win[s];
      s -= kw;
      if (s < 0) s += this.g;
    }
    // The middle ranks by selection, not a sort of all of them: the same values.
    const m = valid >> 1;
    const hi = selectRank(sums, valid, m);
    if (valid % 2) return hi;
    // sums[0, m) now hold the m smallest: the largest of them is rank m - 1.
    let lo = sums[0];
    for (let j = 1; j < m; j++) if (sums[j] > lo) lo = sums[j];
    return (lo + hi) / 2;
  }

  private close(k: number): void {
    const p = this.p;
    const kw = p.k;
    this.closes[slot(k, kw + 1)] = this.last;
    let buy = 0;
    let sell = 0;
    // Sub-bars k - kw + 1 .. k in order, their ring slots stepped (no division per sub-bar).
    const G = this.g;
    for (let b = 0, g = slot(k - kw + 1, G); b < kw; b++) {
      buy += this.buyV[g];
      sell += this.sellV[g];
      if (++g === G) g = 0;
    }
    this.winBuy[slot(k, this.g)] = buy;
    this.winSell[slot(k, this.g)] = sell;
    const t = (k + 1) * p.step;
    const t0 = t - kw * p.step;
    // Taken once per close and side, when needed (flags, not undefined: a number-or-undefined local boxes its number).
    let typBuy = NaN;
    let typSell = NaN;
    let haveBuy = false;
    let haveSell = false;
    const kw2 = 2 * kw;
    const s0 = slot(k - kw + 1, kw);
    const l0 = slot(k - kw + 1, kw2);
    const lb0 = slot(k - 2 * kw + 1, kw2);
    for (const z of this.zs) {
      if (!z.visit || z.fired || t > z.to) continue;
      let attack = 0;
      let notional = 0;
      let ext = z.none;
      let during = 0;
      let before = 0;
      // Sub-bars b = k - kw + 1 .. k in order: s = slot(b, kw), l = slot(b, 2kw), lb = slot(b - kw, 2kw), stepped.
      for (let b = 0, s = s0, l = l0, lb = lb0; b < kw; b++) {
        attack += z.att[s];
        notional += z.attN[s];
        ext = z.attack < 0 ? Math.min(ext, z.ext[s]) : Math.max(ext, z.ext[s]);
        during += z.liq[l];
        before += z.liq[lb];
        if (++s === kw) s = 0;
        if (++l === kw2) l = 0;
        if (++lb === kw2) lb = 0;
      }
      if (!(attack > 0)) continue;
      if (z.attack > 0 && !haveBuy) {
        typBuy = this.typical(k, 1);
        haveBuy = true;
      } else if (z.attack < 0 && !haveSell) {
        typSell = this.typical(k, -1);
        haveSell = true;
      }
      const typical = z.attack > 0 ? typBuy : typSell;
      if (!(attack >= p.multiple * typical)) continue;
      const kind: AbsorptionKind | undefined = before > 0 ? (during <= p.liqRatio * before ? 'cascade-stop' : undefined) : during === 0 ? 'revisit' : undefined;
      if (kind === undefined) continue;
      const ref = z.visitStart >= t0 ? z.entry : this.closes[slot(k - kw, kw + 1)];
      // ext is finite: attack > 0 means band trades in the window, and they belong to this visit (or it began inside the window, at its entry trade).
      const progress = (1e4 * (z.attack < 0 ? ref - ext : ext - ref)) / ref;
      if (!(progress <= p.maxProgress)) continue;
      z.fired = true;
      const long = z.attack < 0;
      this.emit({
        ts: t,
        kind,
        direction: long ? 'buyers_absorb' : 'sellers_absorb',
        bias: long ? 'bullish' : 'bearish',
        zone_index: z.index,
        zone: z.zone,
        attack_side: long ? 'sell' : 'buy',
        window_start_ms: t0,
        window_end_ms: t,
        visit_start_ms: z.visitStart,
        entry_price: z.entry,
        attack_volume: attack,
        typical_volume: typical,
        attack_ratio: attack / typical,
        vwap: notional / attack,
        liquidations_before: before,
        liquidations_during: during,
        ref_price: ref,
        extreme_price: ext,
        progress_bps: progress,
        close: this.last,
      });
    }
  }
}

/**
 * Incremental absorption events. Push trades and liquidations in time order (one clock for both:
 * an event before the open sub-bar is refused with OutOfOrderError; within the open sub-bar the
 * two streams may interleave in any order), in any chunks. An event is emitted when the first
 * event of a later sub-bar arrives (or at flush). `flush()` closes the open sub-bar as if complete
 * and forgets everything; pushing after it starts afresh.
 */
export class AbsorptionOperator {
  private readonly engine: Engine;

  constructor(opts: AbsorptionOptions, emit: Emit<AbsorptionEvent>) {
    this.engine = new Engine(params(opts), emit);
  }

  pushTrades(c: TradeColumns, from = 0, to = c.length): void {
    for (let i = from; i < to; i++) {
      checkRow('trade', c, i);
      this.engine.trade(c, i);
    }
  }

  pushLiquidations(c: LiquidationColumns, from = 0, to = c.length): void {
    for (let i = from; i < to; i++) {
      checkRow('liquidation', c, i);
      this.engine.liquidation(c, i);
    }
  }

  /**
   * From `ts` on, the live zones are `zones` (for rolling zones: the clusters of a fresh
   * liquidation snapshot). A zone equal to a live one (same low, high, side, source) keeps its
   * state and index; a new one is added with from_ts = ts (its own from_ts if later); a live zone
   * not in the list is retired at ts. Call it before pushing events at or after ts. Returns each
   * given zone's index (the `zone_index` its events will carry).
   */
  setZones(ts: number, zones: readonly AbsorptionZone[]): number[] {
    if (!Number.isFinite(ts)) throw new RangeError(`absorption: setZones time must be finite, got ${ts}`);
    checkZones(zones);
    const live = new Map<string, number>();
    for (const z of this.engine.liveZones(ts)) live.set(zoneKey(z.zone), z.index);
    const out: number[] = [];
    const kept = new Set<number>();
    for (const z of zones) {
      const key = zoneKey(z);
      let index = live.get(key);
      if (index === undefined || kept.has(index)) {
        index = this.engine.addZone({ ...z, from_ts: Math.max(ts, z.from_ts ?? -Infinity) });
        live.set(key, index);
      }
      kept.add(index);
      out.push(index);
    }
    for (const z of this.engine.liveZones(ts)) if (!kept.has(z.index)) this.engine.retireZone(z.index, ts);
    return out;
  }

  flush(): void {
    this.engine.flush();
  }
}

/** A zone's identity across snapshots: equal keys are the same zone (setZones keeps its state). */
export function zoneKey(z: AbsorptionZone): string {
  return `${z.side}:${z.source}:${z.low}:${z.high}`;
}

/**
 * Batch: the events of whole columns (each in time order), merged by ts (trades first at equal
 * ts; the order does not change any output), then flushed. Same events as AbsorptionOperator fed
 * the same rows in any chunks and interleaving.
 */
export function absorptionBatch(trades: TradeColumns, liquidations: LiquidationColumns | undefined, opts: AbsorptionOptions): AbsorptionEvent[] {
  const out: AbsorptionEvent[] = [];
  const e = new Engine(params(opts), (x) => out.push(x));
  const nl = liquidations?.length ?? 0;
  let i = 0;
  let j = 0;
  while (i < trades.length || j < nl) {
    const tt = i < trades.length ? trades.ts[i] : Infinity;
    const lt = j < nl ? liquidations!.ts[j] : Infinity;
    if (tt <= lt) {
      if (i > 0 && tt < trades.ts[i - 1]) throw new OutOfOrderError(tt, trades.ts[i - 1]);
      checkRow('trade', trades, i);
      e.trade(trades, i);
      i++;
    } else {
      if (j > 0 && lt < liquidations!.ts[j - 1]) throw new OutOfOrderError(lt, liquidations!.ts[j - 1]);
      checkRow('liquidation', liquidations!, j);
      e.liquidation(liquidations!, j);
      j++;
    }
  }
  e.flush();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Zone sources.

export interface ZoneSourceOptions {
  /** When the zones became known (a snapshot's time): no visit starts before it. */
  readonly fromTs: number;
  readonly toTs?: number;
  /** The bins the clusters/levels were made with: zones then span whole bins (edges half a bin beyond the extreme bin prices). */
  readonly bins?: LiquidationBins;
}

function edges(lowIndex: number, highIndex: number, low: number, high: number, bins: LiquidationBins | undefined): [number, number] {
  if (!bins) return [low, high];
  const b = binner(bins);
  return [(b.price(lowIndex - 1) + b.price(lowIndex)) / 2, (b.price(highIndex) + b.price(highIndex + 1)) / 2];
}

function known(o: ZoneSourceOptions): { from_ts: number; to_ts?: number } {
  return o.toTs === undefined ? { from_ts: o.fromTs } : { from_ts: o.fromTs, to_ts: o.toTs };
}

/** Realized clusters (LiquidationSnapshot.clusters) as zones, in the clusters' order. */
export function zonesFromClusters(clusters: readonly LiquidationCluster[], o: ZoneSourceOptions): AbsorptionZone[] {
  return clusters.map((c) => {
    const [low, high] = edges(c.low_index, c.high_index, c.low, c.high, o.bins);
    return { low, high, side: c.side, source: 'realized', ...known(o) };
  });
}

/**
 * Predicted levels as zones: per side, maximal runs of adjacent bins whose projected notional is
 * >= minNotional, longs then shorts, ascending by price. `fromTs` defaults to the snapshot's time.
 */
export function zonesFromPredicted(s: PredictedLiquidationSnapshot, o: Partial<ZoneSourceOptions> & { readonly minNotional: number }): AbsorptionZone[] {
  const out: AbsorptionZone[] = [];
  const when = known({ fromTs: o.fromTs ?? s.ts, toTs: o.toTs });
  const run = (levels: readonly PredictedLevel[], side: LiquidatedSide) => {
    const hot = levels.filter((l) => l.notional >= o.minNotional);
    for (let a = 0; a < hot.length; ) {
      let e = a;
      while (e + 1 < hot.length && hot[e + 1].index === hot[e].index + 1) e++;
      const [low, high] = edges(hot[a].index, hot[e].index, hot[a].price, hot[e].price, o.bins);
      out.push({ low, high, side, source: 'predicted', ...when });
      a = e + 1;
    }
  };
  run(s.longs, 'long');
  run(s.shorts, 'short');
  return out;
}
