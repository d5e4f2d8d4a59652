/**
 * Liquidation zones' data: the realized clusters of LiquidationsResponse and the predicted levels
 * of PredictedLiquidationsResponse, kept apart (two types, two layers) so an estimate is never
 * drawn as if it had happened. Bad entries (non-finite prices or times, low above high, an
 * unknown side) are dropped.
 */
import type { LiquidationsResponse, PredictedLiquidationsResponse } from '../../../api.ts';

export interface RealizedZone {
  readonly side: 'long' | 'short';
  readonly low: number;
  readonly high: number;
  readonly notional: number;
  readonly firstMs: number;
  readonly revisited: boolean;
}

export interface PredictedLevel {
  readonly side: 'long' | 'short';
  readonly price: number;
  readonly notional: number;
  readonly leverage: number;
}

const fin = Number.isFinite;
const side = (s: unknown): s is 'long' | 'short' => s === 'long' || s === 'short';

export function toRealizedZones(r: Pick<LiquidationsResponse, 'clusters'> | null | undefined): RealizedZone[] {
  const out: RealizedZone[] = [];
  for (const c of Array.isArray(r?.clusters) ? r.clusters : []) {
    if (c == null || !side(c.side) || !fin(c.low) || !fin(c.high) || c.high < c.low || !fin(c.firstMs)) continue;
    out.push({ side: c.side, low: c.low, high: c.high, notional: fin(c.notional) ? c.notional : 0, firstMs: c.firstMs, revisited: c.revisited === true });
  }
  return out;
}

export function toPredictedLevels(r: PredictedLiquidationsResponse | null | undefined): PredictedLevel[] {
  const out: PredictedLevel[] = [];
  for (const l of Array.isArray(r?.levels) ? r.levels : []) {
    if (l == null || !side(l.side) || !fin(l.price) || l.price <= 0) continue;
    out.push({ side: l.side, price: l.price, notional: fin(l.notional) ? l.notional : 0, leverage: fin(l.leverage) ? l.leverage : 0 });
  }
  return out;
}
