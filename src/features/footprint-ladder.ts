/**
 * A footprint candle as a trader reads it (docs/FEATURES.md "Footprint ladder"): every level of
 * the candle from the highest price down, bid x ask with the imbalanced side marked, the POC and
 * the value area, and the stacked imbalances as price ranges. Prices are rounded to the tick and
 * sizes to the lot, so what is printed is what the venue can trade. Rendering-free: the text is
 * src/report/footprint-ladder.ts, the JSON is this object.
 */
import { decimalsOf, levelPrice, type FootprintCandle, type StackedRun } from './footprint.ts';

export interface LadderLevel {
  readonly price: number;
  /** Aggressive sell volume (hit the bid), rounded to the lot. */
  readonly bid: number;
  /** Aggressive buy volume (lifted the ask), rounded to the lot. */
  readonly ask: number;
  readonly bid_imbalance: boolean;
  readonly ask_imbalance: boolean;
  readonly poc: boolean;
  /** Inside the value area (VAL..VAH, both included). */
  readonly value_area: boolean;
}

/** A stacked imbalance: `low`/`high` are the prices of its lowest and highest level. */
export interface LadderStack {
  readonly side: 'bid' | 'ask';
  readonly low: number;
  readonly high: number;
  readonly levels: number;
}

export interface FootprintLadder {
  readonly open_time_ms: number;
  readonly open: number;
  readonly high: number;
  readonly low: number;
  readonly close: number;
  readonly volume: number;
  readonly delta: number;
  readonly trades: number;
  readonly tick: number;
  /** The lot sizes are rounded to; null when unknown (sizes as summed). */
  readonly lot: number | null;
  readonly level_size: number;
  readonly poc: number;
  readonly val: number;
  readonly vah: number;
  /** Every level from the candle's highest to its lowest; empty ones inside the range are 0 x 0. */
  readonly levels: readonly LadderLevel[];
  /** Highest range first. */
  readonly stacks: readonly LadderStack[];
}

/** `x` on the grid of `step` (a tick or a lot), printed without float noise. */
export function roundToStep(x: number, step: number, decimals = decimalsOf(step)): number {
  return Number((Math.round(x / step) * step).toFixed(decimals)) + 0;
}

/** The candle's stacked imbalances, both sides, highest range first. */
export function footprintStacks(c: FootprintCandle): LadderStack[] {
  const stack = (side: 'bid' | 'ask') => (r: StackedRun): LadderStack => ({ side, low: r.low, high: r.high, levels: r.levels });
  return [...c.stacked_ask.map(stack('ask')), ...c.stacked_bid.map(stack('bid'))].sort((a, b) => b.high - a.high);
}

/** The ladder of a candle; `lot` (base units) rounds the sizes, none keeps them as summed. */
export function footprintLadder(c: FootprintCandle, lot?: number): FootprintLadder {
  if (lot !== undefined && !(lot > 0 && Number.isFinite(lot))) throw new RangeError(`footprint ladder: lot must be > 0, got ${lot}`);
  const dec = decimalsOf(c.tick);
  const lotDec = lot === undefined ? 0 : decimalsOf(lot);
  const size = (x: number) => (lot === undefined ? x : roundToStep(x, lot, lotDec));
  const px = (x: number) => roundToStep(x, c.tick, dec);
  const L = c.levels;
  const levels: LadderLevel[] = [];
  for (let k = L.length - 1; k >= 0; k--) {
    const idx = c.low_index + k;
    levels.push({
      price: levelPrice(idx, c.tick, c.level_ticks, dec),
      bid: size(L.sellVolume[k]),
      ask: size(L.buyVolume[k]),
      bid_imbalance: L.bidImbalance[k] === 1,
      ask_imbalance: L.askImbalance[k] === 1,
      poc: idx === c.poc_index,
      value_area: idx >= c.va_low_index && idx <= c.va_high_index,
    });
  }
  return {
    open_time_ms: c.open_time_ms,
    open: px(c.open),
    high: px(c.high),
    low: px(c.low),
    close: px(c.close),
    volume: size(c.volume),
    delta: size(c.delta),
    trades: c.trades,
    tick: c.tick,
    lot: lot ?? null,
    level_size: c.level_size,
    poc: c.poc,
    val: c.val,
    vah: c.vah,
    levels,
    stacks: footprintStacks(c),
  };
}
