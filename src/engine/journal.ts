/**
 * Prediction journal: every signal is a prediction (a level, a direction, several horizons); the
 * journal watches the trades that follow it and records what happened over each horizon
 * (touched, rejected, broke through, return, MFE/MAE), then reports hit rates by signal type,
 * session and venue with Wilson 95% intervals. Exact definitions and a worked example:
 * docs/JOURNAL.md.
 *
 * Honesty: the journal reads prices after a prediction only to score it. Nothing in it flows back
 * into decisions; the engine never hands journal outcomes to a strategy.
 *
 * Hot path: `onTrade` / `onTrades` are allocation-free. Open predictions live in typed arrays
 * (struct of arrays); a prediction leaves the open set once its longest horizon is resolved, so
 * per-trade work and memory are bounded by the predictions made within the longest horizon.
 */
import { grown } from '../core/columns.ts';
import type { HitRateRow, HorizonOutcome, JournalReport, PredictionRecord } from './run-types.ts';
import { mean, wilsonInterval } from './stats.ts';

export interface PredictionJournalOptions {
  /** Horizons in ms (positive integers, distinct; sorted ascending). Default 5m, 15m, 1h, 4h. */
  readonly horizonsMs?: readonly number[];
  /** Touch tolerance around the level, bps (log, see docs/JOURNAL.md); >= 0, default 5. */
  readonly touchToleranceBps?: number;
  /** After a touch, a move this far away from the level in the predicted direction is a rejection; > touchToleranceBps, default 20. */
  readonly rejectBps?: number;
  /** A move this far through the level against the prediction is a break-through; >= 0, default 10. */
  readonly breakBps?: number;
}

/** What `predict` takes: a signal as a prediction. */
export type PredictionInput = Omit<PredictionRecord, 'refPrice' | 'outcomes'>;

export const DEFAULT_HORIZONS_MS: readonly number[] = Object.freeze([5 * 60_000, 15 * 60_000, 60 * 60_000, 4 * 60 * 60_000]);

const TOUCHED = 1;
const REJECTED = 2;
const BROKE = 4;

interface MutableOutcome {
  horizonMs: number;
  resolved: boolean;
  touched: boolean;
  rejected: boolean;
  brokeThrough: boolean;
  returnBps: number | null;
  mfeBps: number;
  maeBps: number;
  hit: boolean | null;
}

interface Rec {
  readonly input: PredictionInput;
  readonly refPrice: number;
  readonly outcomes: MutableOutcome[];
  /** Slot in the open arrays, -1 once closed. */
  slot: number;
}

const GROUPS = ['all', 'type', 'session', 'venue'] as const;
const cmpStr = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export class PredictionJournal {
  readonly horizonsMs: readonly number[];
  readonly touchToleranceBps: number;
  readonly rejectBps: number;
  readonly breakBps: number;

  private readonly recs: Rec[] = [];
  private readonly ids = new Set<number>();
  private finished = false;
  /** Time of the latest trade or prediction: nothing earlier may arrive. */
  private clock = -Infinity;
  private last = NaN;
  private nextDue = Infinity;

  // Open predictions, struct of arrays, slots [0, n).
  private n = 0;
  private cap = 0;
  private recOf = new Int32Array(0);
  /** +1 long, -1 short: thresholds below are stored multiplied by it, so one comparison rule serves both. */
  private sgn = new Float64Array(0);
  private qTouch = new Float64Array(0);
  private qReject = new Float64Array(0);
  private qBreak = new Float64Array(0);
  private hi = new Float64Array(0);
  private lo = new Float64Array(0);
  private flags = new Uint8Array(0);
  private nextH = new Int32Array(0);
  private due = new Float64Array(0);

  constructor(options: PredictionJournalOptions = {}) {
    const hs = options.horizonsMs ?? DEFAULT_HORIZONS_MS;
    if (!Array.isArray(hs) || hs.length === 0) throw new RangeError('PredictionJournal: horizonsMs must be a non-empty array of positive integers (ms)');
    for (const h of hs) {
      if (!Number.isSafeInteger(h) || h <= 0) throw new RangeError(`PredictionJournal: horizonsMs must hold positive integers (ms), got ${h}`);
    }
    const sorted = [...hs].sort((a, b) => a - b);
    for (let i = 1; i < sorted.length; i++) {
      if (sorted[i] === sorted[i - 1]) throw new RangeError(`PredictionJournal: horizonsMs has ${sorted[i]} twice`);
    }
    this.horizonsMs = Object.freeze(sorted);
    const tol = options.touchToleranceBps ?? 5;
    const rej = options.rejectBps ?? 20;
    const brk = options.breakBps ?? 10;
    if (!Number.isFinite(tol) || tol < 0) throw new RangeError(`PredictionJournal: touchToleranceBps must be finite and >= 0, got ${tol}`);
    if (!Number.isFinite(rej) || rej <= tol) throw new RangeError(`PredictionJournal: rejectBps must be finite and > touchToleranceBps (${tol}), got ${rej}`);
    if (!Number.isFinite(brk) || brk < 0) throw new RangeError(`PredictionJournal: breakBps must be finite and >= 0, got ${brk}`);
    this.touchToleranceBps = tol;
    this.rejectBps = rej;
    this.breakBps = brk;
  }

  /** Latest trade price seen, null before the first trade (a prediction then has no reference price). */
  get lastPrice(): number | null {
    return Number.isNaN(this.last) ? null : this.last;
  }

  /** Predictions still watched (some horizon unresolved). */
  get openCount(): number {
    return this.n;
  }

  /**
   * Register a prediction at `p.ts`. Call it after every trade with ts <= p.ts and before any
   * later one. Its reference price is the last trade price seen; before the first trade there is
   * none, and the call throws (RangeError).
   */
  predict(p: PredictionInput): void {
    if (this.finished) throw new Error('PredictionJournal: predict after finish');
    if (!Number.isSafeInteger(p.id)) throw new RangeError(`PredictionJournal.predict: id must be an integer, got ${p.id}`);
    if (this.ids.has(p.id)) throw new RangeError(`PredictionJournal.predict: duplicate id ${p.id}`);
    if (!Number.isFinite(p.ts)) throw new RangeError(`PredictionJournal.predict: ts must be finite, got ${p.ts}`);
    if (p.ts < this.clock) {
      throw new RangeError(`PredictionJournal.predict: prediction ${p.id} at ts ${p.ts} is out of order (a trade or prediction at ${this.clock} was already seen)`);
    }
    if (p.direction !== 'long' && p.direction !== 'short') throw new RangeError(`PredictionJournal.predict: direction must be 'long' or 'short', got ${String(p.direction)}`);
    if (!(p.level > 0) || !Number.isFinite(p.level)) throw new RangeError(`PredictionJournal.predict: level must be finite and > 0, got ${p.level}`);
    for (const k of ['type', 'venue', 'session'] as const) {
      if (typeof p[k] !== 'string') throw new RangeError(`PredictionJournal.predict: ${k} must be a string`);
    }
    if (Number.isNaN(this.last)) throw new RangeError(`PredictionJournal.predict: prediction ${p.id} at ts ${p.ts} has no reference price (no trade seen at or before it)`);

    this.advance(p.ts);
    this.clock = p.ts;

    const input: PredictionInput = { id: p.id, ts: p.ts, type: p.type, direction: p.direction, level: p.level, venue: p.venue, session: p.session };
    const outcomes: MutableOutcome[] = this.horizonsMs.map((h) => ({
      horizonMs: h,
      resolved: false,
      touched: false,
      rejected: false,
      brokeThrough: false,
      returnBps: null,
      mfeBps: 0,
      maeBps: 0,
      hit: null,
    }));
    const rec: Rec = { input, refPrice: this.last, outcomes, slot: -1 };
    this.ids.add(p.id);
    this.recs.push(rec);

    if (this.n === this.cap) this.grow();
    const i = this.n++;
    rec.slot = i;
    const s = p.direction === 'long' ? 1 : -1;
    const L = p.level;
    // Long: touched p <= L e^{tol}, rejected p >= L e^{rej}, broke p <= L e^{-brk}; short mirrored.
    this.recOf[i] = this.recs.length - 1;
    this.sgn[i] = s;
    this.qTouch[i] = s * L * Math.exp((s * this.touchToleranceBps) / 1e4);
    this.qReject[i] = s * L * Math.exp((s * this.rejectBps) / 1e4);
    this.qBreak[i] = s * L * Math.exp((-s * this.breakBps) / 1e4);
    this.hi[i] = this.last;
    this.lo[i] = this.last;
    this.flags[i] = 0;
    this.nextH[i] = 0;
    this.due[i] = p.ts + this.horizonsMs[0];
    if (this.due[i] < this.nextDue) this.nextDue = this.due[i];
  }

  /** One trade of the merged stream (all venues), in time order. */
  onTrade(ts: number, price: number): void {
    if (this.finished) throw new Error('PredictionJournal: onTrade after finish');
    if (!(ts >= this.clock) || !Number.isFinite(ts)) throw new RangeError(`PredictionJournal.onTrade: trade at ts ${ts} is out of order (already at ${this.clock})`);
    if (!(price > 0) || !Number.isFinite(price)) throw new RangeError(`PredictionJournal.onTrade: price must be finite and > 0, got ${price}`);
    if (ts >= this.nextDue) this.advance(ts);
    if (this.n > 0) this.apply(price);
    this.clock = ts;
    this.last = price;
  }

  /** Trades `[from, to)` of columnar arrays, in time order; same result as `onTrade` one by one. */
  onTrades(ts: ArrayLike<number>, price: ArrayLike<number>, from = 0, to = ts.length): void {
    if (this.finished) throw new Error('PredictionJournal: onTrades after finish');
    if (!Number.isInteger(from) || !Number.isInteger(to) || from < 0 || to < from || to > ts.length || to > price.length) {
      throw new RangeError(`PredictionJournal.onTrades: bad range [${from}, ${to}) for arrays of length ${ts.length} / ${price.length}`);
    }
    let k = from;
    while (k < to) {
      // The longest stretch of good trades before the next horizon falls due: the open
      // predictions take it one prediction at a time (each one's state moves on its own, so
      // the order of the two loops does not matter), not one trade at a time.
      let clock = this.clock;
      const due = this.nextDue;
      let e = k;
      for (; e < to; e++) {
        const t = ts[e];
        const p = price[e];
        if (!(t >= clock) || !Number.isFinite(t) || !(p > 0) || !Number.isFinite(p) || t >= due) break;
        clock = t;
      }
      if (e > k) {
        if (this.n > 0) this.applyRange(price, k, e);
        this.clock = clock;
        this.last = price[e - 1];
      }
      if (e === to) return;
      // Trade e is a bad row or the first at or after a due horizon.
      const t = ts[e];
      const p = price[e];
      if (!(t >= clock) || !Number.isFinite(t)) throw new RangeError(`PredictionJournal.onTrades: trade ${e} at ts ${t} is out of order (already at ${clock})`);
      if (!(p > 0) || !Number.isFinite(p)) throw new RangeError(`PredictionJournal.onTrades: trade ${e} price must be finite and > 0, got ${p}`);
      this.advance(t);
      if (this.n > 0) this.apply(p);
      this.clock = t;
      this.last = p;
      k = e + 1;
    }
  }

  /**
   * End of data at `endTs` (>= every trade and prediction seen): horizons ending at or before it
   * resolve with the last price; later ones stay unresolved. The journal accepts nothing after.
   */
  finish(endTs: number): void {
    if (this.finished) throw new Error('PredictionJournal: finish called twice');
    if (!Number.isFinite(endTs) || endTs < this.clock) throw new RangeError(`PredictionJournal.finish: endTs ${endTs} is before the last trade or prediction (${this.clock})`);
    // A horizon ending exactly at endTs is covered: every trade with ts < endTs has been seen.
    this.resolveWhere(endTs, true);
    for (let i = 0; i < this.n; i++) this.snapshotPartial(i);
    this.n = 0;
    this.nextDue = Infinity;
    this.clock = endTs;
    this.finished = true;
  }

  /**
   * Per-prediction outcomes (id order) and hit-rate rows. Callable at any time; before `finish`
   * the horizons not yet due show resolved: false with what was seen so far.
   */
  report(): JournalReport {
    const horizons = this.horizonsMs;
    const sorted = [...this.recs].sort((a, b) => a.input.id - b.input.id);
    const predictions: PredictionRecord[] = sorted.map((r) => {
      if (r.slot >= 0) this.snapshotPartial(r.slot);
      const { id, ts, type, direction, level, venue, session } = r.input;
      return { id, ts, type, direction, level, venue, session, refPrice: r.refPrice, outcomes: r.outcomes.map((o): HorizonOutcome => ({ ...o })) };
    });

    const hitRates = hitRateTable(predictions, horizons);
    return { horizonsMs: [...horizons], predictions, hitRates };
  }

  // ---- internals ----

  /** Update every open prediction with one trade price (allocation-free). */
  private apply(p: number): void {
    const n = this.n;
    const sgn = this.sgn;
    const hi = this.hi;
    const lo = this.lo;
    const flags = this.flags;
    const qTouch = this.qTouch;
    const qReject = this.qReject;
    const qBreak = this.qBreak;
    for (let i = 0; i < n; i++) {
      if (p > hi[i]) hi[i] = p;
      if (p < lo[i]) lo[i] = p;
      const f = flags[i];
      if ((f & BROKE) !== 0) continue;
      const q = sgn[i] * p;
      if (q <= qBreak[i]) flags[i] = f | BROKE | TOUCHED;
      else if ((f & TOUCHED) !== 0) {
        if (q >= qReject[i]) flags[i] = f | REJECTED;
      } else if (q <= qTouch[i]) flags[i] = f | TOUCHED;
    }
  }

  /**
   * `apply` of each price of [a, b) in order, prediction by prediction (allocation-free). The
   * range's lowest and highest price settle most predictions at once: one that no price of the
   * range touches (nor breaks) only moves its high and low, and is rejected when touched before
   * and some price reaches the rejection level. The others take the prices one by one.
   */
  private applyRange(price: ArrayLike<number>, a: number, b: number): void {
    let mn = price[a];
    let mx = mn;
    for (let k = a + 1; k < b; k++) {
      const p = price[k];
      if (p < mn) mn = p;
      if (p > mx) mx = p;
    }
    const n = this.n;
    const sgn = this.sgn;
    const hi = this.hi;
    const lo = this.lo;
    const flags = this.flags;
    for (let i = 0; i < n; i++) {
      const s = sgn[i];
      const qTouch = this.qTouch[i];
      const qReject = this.qReject[i];
      const qBreak = this.qBreak[i];
      if (mx > hi[i]) hi[i] = mx;
      if (mn < lo[i]) lo[i] = mn;
      let f = flags[i];
      if ((f & BROKE) !== 0) continue;
      // q = s x price over the range: s is +-1, so its extremes are exact.
      const qMin = s > 0 ? mn : -mx;
      const qMax = s > 0 ? mx : -mn;
      if (qMin > qBreak && qMin > qTouch) {
        if ((f & TOUCHED) !== 0 && qMax >= qReject) flags[i] = f | REJECTED;
        continue;
      }
      for (let k = a; k < b; k++) {
        const q = s * price[k];
        if (q <= qBreak) {
          f = f | BROKE | TOUCHED;
          break;
        } else if ((f & TOUCHED) !== 0) {
          if (q >= qReject) f = f | REJECTED;
        } else if (q <= qTouch) f = f | TOUCHED;
      }
      flags[i] = f;
    }
  }

  /** The clock moves to `ts` (no trade before it can still arrive): resolve every horizon ending at or before it. */
  private advance(ts: number): void {
    if (ts >= this.nextDue) this.resolveWhere(ts, false);
  }

  private resolveWhere(ts: number, final: boolean): void {
    const hs = this.horizonsMs;
    let i = 0;
    while (i < this.n) {
      while (this.nextH[i] < hs.length && this.due[i] <= ts) {
        this.resolveHorizon(i, this.nextH[i]);
        const j = ++this.nextH[i];
        if (j < hs.length) this.due[i] = this.recs[this.recOf[i]].input.ts + hs[j];
      }
      if (this.nextH[i] >= hs.length) this.close(i);
      else i++;
    }
    if (!final) {
      let m = Infinity;
      for (let k = 0; k < this.n; k++) if (this.due[k] < m) m = this.due[k];
      this.nextDue = m;
    }
  }

  private resolveHorizon(i: number, j: number): void {
    const r = this.recs[this.recOf[i]];
    const o = r.outcomes[j];
    this.fill(i, o);
    const ref = r.refPrice;
    const last = this.last;
    const long = this.sgn[i] > 0;
    o.resolved = true;
    o.returnBps = long ? 1e4 * Math.log(last / ref) : 1e4 * Math.log(ref / last);
    o.hit = long ? last > ref : last < ref;
  }

  /** Running state of slot i into an outcome (touch/reject/break, MFE/MAE). */
  private fill(i: number, o: MutableOutcome): void {
    const ref = this.recs[this.recOf[i]].refPrice;
    const f = this.flags[i];
    o.touched = (f & TOUCHED) !== 0;
    o.rejected = (f & REJECTED) !== 0;
    o.brokeThrough = (f & BROKE) !== 0;
    const up = 1e4 * Math.log(this.hi[i] / ref);
    const down = 1e4 * Math.log(ref / this.lo[i]);
    if (this.sgn[i] > 0) {
      o.mfeBps = up;
      o.maeBps = down;
    } else {
      o.mfeBps = down;
      o.maeBps = up;
    }
  }

  /** Unresolved horizons of an open slot show the state so far. */
  private snapshotPartial(i: number): void {
    const r = this.recs[this.recOf[i]];
    for (let j = this.nextH[i]; j < r.outcomes.length; j++) this.fill(i, r.outcomes[j]);
  }

  /** Remove slot i from the open set (swap with the last). */
  private close(i: number): void {
    this.recs[this.recOf[i]].slot = -1;
    const last = --this.n;
    if (i !== last) {
      this.recOf[i] = this.recOf[last];
      this.sgn[i] = this.sgn[last];
      this.qTouch[i] = this.qTouch[last];
      this.qReject[i] = this.qReject[last];
      this.qBreak[i] = this.qBreak[last];
      this.hi[i] = this.hi[last];
      this.lo[i] = this.lo[last];
      this.flags[i] = this.flags[last];
      this.nextH[i] = this.nextH[last];
      this.due[i] = this.due[last];
      this.recs[this.recOf[i]].slot = i;
    }
  }

  private grow(): void {
    const cap = Math.max(16, this.cap * 2);
    this.recOf = grown(this.recOf, cap);
    this.nextH = grown(this.nextH, cap);
    this.flags = grown(this.flags, cap);
    this.sgn = grown(this.sgn, cap);
    this.qTouch = grown(this.qTouch, cap);
    this.qReject = grown(this.qReject, cap);
    this.qBreak = grown(this.qBreak, cap);
    this.hi = grown(this.hi, cap);
    this.lo = grown(this.lo, cap);
    this.due = grown(this.due, cap);
    this.cap = cap;
  }
}

/** One hit-rate row over the outcomes of one group at one horizon; only resolved outcomes count. */
/** Hit-rate rows of predictions (each with one outcome per horizon): all, then by type, session, venue; keys sorted, horizons ascending. */
export function hitRateTable(predictions: readonly PredictionRecord[], horizons: readonly number[]): HitRateRow[] {
  const hitRates: HitRateRow[] = [];
  for (const group of GROUPS) {
    const byKey = new Map<string, PredictionRecord[]>();
    for (const p of predictions) {
      const key = group === 'all' ? 'all' : p[group];
      let list = byKey.get(key);
      if (!list) byKey.set(key, (list = []));
      list.push(p);
    }
    if (group === 'all' && byKey.size === 0) byKey.set('all', []);
    for (const key of [...byKey.keys()].sort(cmpStr)) {
      const list = byKey.get(key)!;
      for (let j = 0; j < horizons.length; j++) hitRates.push(hitRateRow(group, key, horizons[j], list.map((p) => p.outcomes[j])));
    }
  }
  return hitRates;
}

function hitRateRow(group: HitRateRow['group'], key: string, horizonMs: number, outcomes: readonly HorizonOutcome[]): HitRateRow {
  const res = outcomes.filter((o) => o.resolved);
  const n = res.length;
  let hits = 0;
  let touched = 0;
  let rejected = 0;
  let brokeThrough = 0;
  for (const o of res) {
    if (o.hit) hits++;
    if (o.touched) touched++;
    if (o.rejected) rejected++;
    if (o.brokeThrough) brokeThrough++;
  }
  const w = n > 0 ? wilsonInterval(hits, n) : null;
  const m = (xs: number[]): number | null => (xs.length === 0 ? null : mean(xs));
  return {
    group,
    key,
    horizonMs,
    n,
    hits,
    hitRate: n > 0 ? hits / n : null,
    ci: w ? { lower: w.lower, upper: w.upper } : null,
    touched,
    rejected,
    brokeThrough,
    meanReturnBps: m(res.map((o) => o.returnBps as number)),
    meanMfeBps: m(res.map((o) => o.mfeBps)),
    meanMaeBps: m(res.map((o) => o.maeBps)),
  };
}
