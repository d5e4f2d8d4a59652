/**
 * The footprint levels the page holds, fetched by range: the bars on screen (plus a margin) at
 * first paint, further ranges as the user scrolls or zooms into them. The whole view's levels at
 * 50k bars were 27 MB of JSON and a second of server time for bars nobody looks at; the series
 * shows levels only from about 20 px a bar, so a screen holds a few hundred bars at most.
 *
 * Ranges are bar opens in ms, [from, to). Held and in-flight ranges are never asked for again;
 * `merge` lays every held range's levels onto the candles (one response shape, so the footprint
 * series and the volume profile read them as they read a whole-view answer).
 */
import type { CandlesResponse, FootprintColumns } from '../api.ts';
import type { Bars } from './bars.ts';

export type Span = readonly [from: number, to: number];

/** The parts of [from, to) that no span of `held` (sorted or not, may overlap) covers. */
export function missingSpans(held: readonly Span[], from: number, to: number): Span[] {
  const sorted = held.filter(([a, b]) => b > from && a < to).sort((x, y) => x[0] - y[0]);
  const out: Span[] = [];
  let at = from;
  for (const [a, b] of sorted) {
    if (a > at) out.push([at, Math.min(a, to)]);
    at = Math.max(at, b);
    if (at >= to) break;
  }
  if (at < to) out.push([at, to]);
  return out;
}

/** Bar indices [first, last] to hold for a visible logical range: the range plus `margin` of its width each side, clamped. */
export function wantedBars(visFrom: number, visTo: number, bars: number, margin: number): [number, number] {
  const width = Math.max(1, visTo - visFrom);
  const pad = Math.max(20, Math.ceil(width * margin));
  return [Math.max(0, Math.floor(visFrom) - pad), Math.min(bars - 1, Math.ceil(visTo) + pad)];
}

export class FootprintRanges {
  /** Answers held, oldest first: a later one wins a bar two of them hold (a closed live bar's own answer). */
  private readonly chunks: CandlesResponse[] = [];
  private readonly held: Span[] = [];

  constructor(readonly levelTicks: number) {}

  /** Of [from, to), what is neither held nor asked for; marks it asked for. */
  claim(from: number, to: number): Span[] {
    const gaps = missingSpans(this.held, from, to);
    this.held.push(...gaps);
    return gaps;
  }

  /** A claimed span's request failed: it may be asked for again. */
  release(span: Span): void {
    const k = this.held.findIndex((s) => s[0] === span[0] && s[1] === span[1]);
    if (k >= 0) this.held.splice(k, 1);
  }

  add(r: CandlesResponse): void {
    if (r.footprint && r.t.length) this.chunks.push(r);
  }

  /**
   * The candles of `b` (its live folds included) with the levels of every held bar; bars no
   * answer holds get none (the series draws them as candles, the profile at their close).
   */
  merge(b: Bars, base: Pick<CandlesResponse, 'symbol' | 'venues' | 'tf' | 'tfMs'>): CandlesResponse {
    const n = b.length;
    // Which answer, and which bar in it, holds each bar: the answers are few, the bars many.
    const src = new Int32Array(n).fill(-1);
    const at = new Int32Array(n);
    this.chunks.forEach((r, c) => {
      for (let k = 0; k < r.t.length; k++) {
        const i = b.indexAt(r.t[k]);
        if (i >= 0 && b.t[i] === r.t[k]) {
          src[i] = c;
          at[i] = k;
        }
      }
    });
    const offset = new Array<number>(n + 1);
    const price: number[] = [];
    const bid: number[] = [];
    const ask: number[] = [];
    const bidImb: (0 | 1)[] = [];
    const askImb: (0 | 1)[] = [];
    const poc = new Array<number>(n).fill(NaN);
    const vah = new Array<number>(n).fill(NaN);
    const val = new Array<number>(n).fill(NaN);
    const stacked: FootprintColumns['stacked'][number][] = [];
    const stackedByChunk = this.chunks.map((r) => {
      const m = new Map<number, FootprintColumns['stacked'][number][]>();
      for (const s of r.footprint!.stacked) m.set(s.bar, [...(m.get(s.bar) ?? []), s]);
      return m;
    });
    let levelSize = NaN;
    for (let i = 0; i < n; i++) {
      offset[i] = price.length;
      const c = src[i];
      if (c < 0) continue;
      const fp = this.chunks[c].footprint!;
      const k = at[i];
      levelSize = fp.levelSize;
      for (let j = fp.offset[k]; j < fp.offset[k + 1]; j++) {
        price.push(fp.price[j]);
        bid.push(fp.bid[j]);
        ask.push(fp.ask[j]);
        bidImb.push(fp.bidImb[j]);
        askImb.push(fp.askImb[j]);
      }
      poc[i] = fp.poc[k];
      vah[i] = fp.vah[k];
      val[i] = fp.val[k];
      for (const s of stackedByChunk[c].get(k) ?? []) stacked.push({ ...s, bar: i });
    }
    offset[n] = price.length;
    return {
      ...base,
      t: b.t,
      o: b.o,
      h: b.h,
      l: b.l,
      c: b.c,
      buy: b.buy,
      sell: b.sell,
      trades: [],
      footprint: { levelSize, offset, price, bid, ask, bidImb, askImb, poc, vah, val, stacked },
    };
  }
}
