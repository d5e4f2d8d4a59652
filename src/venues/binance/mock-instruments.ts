/**
 * The loopback Binance's own instruments (mock-server.ts): `symbols[]` rows in the shape of
 * `GET /fapi/v1/exchangeInfo`, built from the bundled snapshot (real exchangeInfo rows, see
 * src/venues/instruments-snapshot/README.md), never from a client's registry. Tests list new
 * symbols (`listPerpetual`) and change a status (TRADING, SETTLING, PENDING_TRADING, ...).
 */
import { bundledSnapshotResponses } from '../instruments.ts';
import { BINANCE_REST_PATHS, BINANCE_REST_WEIGHT_PER_MINUTE } from './urls.ts';

type Row = Record<string, unknown>;

export interface BinancePerpetualListing {
  readonly symbol: string;
  readonly tickSize: string;
  readonly stepSize: string;
  readonly status?: string;
  /** Default PERPETUAL. */
  readonly contractType?: string;
}

export class BinanceMockInstruments {
  private readonly rows = new Map<string, Row>();

  static fromSnapshot(): BinanceMockInstruments {
    const m = new BinanceMockInstruments();
    for (const r of bundledSnapshotResponses('binance')) {
      if (!r.endpoint.startsWith(`GET ${BINANCE_REST_PATHS.exchangeInfo}`)) continue;
      for (const row of (r.body as { symbols: Row[] }).symbols) m.rows.set(row.symbol as string, row);
    }
    return m;
  }

  /** List a USD-M perpetual (replacing one of that symbol): BTCUSDT's row with these fields. */
  listPerpetual(l: BinancePerpetualListing): void {
    const t = this.rows.get('BTCUSDT') ?? { filters: [] };
    const filters = (t.filters as Row[]).map((f) =>
      f.filterType === 'PRICE_FILTER' ? { ...f, tickSize: l.tickSize } : f.filterType === 'LOT_SIZE' || f.filterType === 'MARKET_LOT_SIZE' ? { ...f, stepSize: l.stepSize, minQty: l.stepSize } : f,
    );
    this.rows.set(l.symbol, { ...t, symbol: l.symbol, pair: l.symbol, baseAsset: l.symbol.replace(/USDT$/, ''), quoteAsset: 'USDT', marginAsset: 'USDT', status: l.status ?? 'TRADING', contractType: l.contractType ?? 'PERPETUAL', onboardDate: Date.now(), filters });
  }

  setStatus(symbol: string, status: string): void {
    const row = this.rows.get(symbol);
    if (!row) throw new Error(`loopback Binance lists no ${symbol}`);
    this.rows.set(symbol, { ...row, status });
  }

  has(symbol: string): boolean {
    return this.rows.has(symbol);
  }

  /** The exchangeInfo body (the fields we read plus the envelope Binance sends). */
  exchangeInfo(now = Date.now()): unknown {
    return {
      timezone: 'UTC',
      serverTime: now,
      futuresType: 'U_MARGINED',
      rateLimits: [
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: BINANCE_REST_WEIGHT_PER_MINUTE },
        { rateLimitType: 'ORDERS', interval: 'MINUTE', intervalNum: 1, limit: 1200 },
        { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 300 },
      ],
      exchangeFilters: [],
      assets: [],
      symbols: [...this.rows.values()],
    };
  }
}
