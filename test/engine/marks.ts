/** Mark and funding columns of binance BTCUSDT, for engine tests. */
import type { MarkColumns } from '../../src/core/columns.ts';

/** [ts, mark, funding rate, nextFundingTs (ticker rows; NaN or absent for archive rows)] */
export type MarkRow = readonly [ts: number, mark: number, rate: number, next?: number];

export function markColumns(rows: readonly MarkRow[]): MarkColumns {
  const n = rows.length;
  return {
    length: n,
    ts: Float64Array.from(rows, (r) => r[0]),
    markPrice: Float64Array.from(rows, (r) => r[1]),
    fundingRate: Float64Array.from(rows, (r) => r[2]),
    nextFundingTs: Float64Array.from(rows, (r) => r[3] ?? NaN),
    market: new Uint16Array(n),
    markets: [{ venue: 'binance', symbol: 'BTCUSDT' }],
  };
}
