/**
 * The loopback Bybit's own instruments (mock-server.ts): rows in Bybit v5 `instruments-info` and
 * `risk-limit` shapes, built from the bundled snapshot (real Bybit responses, see
 * src/venues/instruments-snapshot/README.md), never from a client's registry. Served page by page
 * with `nextPageCursor` as Bybit does; `pageLimit` caps a page below Bybit's 1000 so tests see
 * several pages. Tests list new contracts (`listLinear`) and change their status.
 */
import { bundledSnapshotResponses } from '../instruments.ts';
import { BYBIT_INSTRUMENTS_INFO_PATH, BYBIT_RISK_LIMIT_PATH } from './urls.ts';

type Row = Record<string, unknown>;

/** Bybit's instrument statuses (instruments-info `status` filter values). */
export type BybitInstrumentStatus = 'PreLaunch' | 'Trading' | 'Settling' | 'Delivering' | 'Closed';

export interface BybitLinearListing {
  readonly symbol: string;
  readonly tickSize: string;
  readonly qtyStep: string;
  readonly status?: BybitInstrumentStatus;
}

export class BybitMockInstruments {
  private readonly rows: Row[] = [];
  private readonly riskRows: Row[] = [];
  /** The largest page served, whatever `limit` asks (Bybit: 1000). */
  pageLimit = 1000;

  static fromSnapshot(): BybitMockInstruments {
    const m = new BybitMockInstruments();
    for (const r of bundledSnapshotResponses('bybit')) {
      const result = (r.body as { result: { category: string; list: Row[] } }).result;
      if (r.endpoint.startsWith(`GET ${BYBIT_RISK_LIMIT_PATH}`)) m.riskRows.push(...result.list);
      else for (const row of result.list) m.put({ ...row, category: result.category });
    }
    return m;
  }

  private put(row: Row): void {
    const i = this.rows.findIndex((r) => r.symbol === row.symbol && r.category === row.category);
    if (i >= 0) this.rows[i] = row;
    else this.rows.push(row);
  }

  /** List a linear perpetual (replacing one of that symbol): BTCUSDT's row with these fields. */
  listLinear(l: BybitLinearListing): void {
    const t = this.rows.find((r) => r.symbol === 'BTCUSDT') ?? {};
    const base = l.symbol.replace(/USDT$/, '');
    this.put({
      ...t, category: 'linear', symbol: l.symbol, baseCoin: base, quoteCoin: 'USDT', settleCoin: 'USDT', status: l.status ?? 'Trading', launchTime: String(Date.now()),
      priceFilter: { ...(t.priceFilter as Row), tickSize: l.tickSize }, lotSizeFilter: { ...(t.lotSizeFilter as Row), qtyStep: l.qtyStep, minOrderQty: l.qtyStep },
    });
  }

  setStatus(symbol: string, status: BybitInstrumentStatus): void {
    const row = this.rows.find((r) => r.symbol === symbol);
    if (!row) throw new Error(`loopback Bybit lists no ${symbol}`);
    this.put({ ...row, status });
  }

  /** Linear symbols listed (any status). */
  symbols(): string[] {
    return this.rows.filter((r) => r.category === 'linear').map((r) => r.symbol as string);
  }

  /**
   * Answer instruments-info or risk-limit as `{retCode, retMsg, result}` (the server wraps it);
   * undefined for other paths. Without `symbol` or `status`, only Trading symbols are listed
   * (the documented default filter).
   */
  answer(path: string, q: URLSearchParams): { retCode: number; retMsg: string; result: unknown } | undefined {
    const category = q.get('category');
    if (path === BYBIT_INSTRUMENTS_INFO_PATH) {
      if (category !== 'linear' && category !== 'inverse') return { retCode: 10001, retMsg: 'params error: category invalid', result: {} };
      const symbol = q.get('symbol');
      const status = q.get('status');
      const all = this.rows.filter((r) => r.category === category && (symbol ? r.symbol === symbol : status ? r.status === status : r.status === 'Trading'));
      const limit = Math.min(this.pageLimit, Math.max(1, Number(q.get('limit') ?? 500) || 500), 1000);
      const cursor = q.get('cursor') ?? '';
      const from = cursor === '' ? 0 : Number(/^page_(\d+)$/.exec(cursor)?.[1] ?? NaN);
      if (!Number.isInteger(from)) return { retCode: 10001, retMsg: 'params error: cursor invalid', result: {} };
      const list = all.slice(from, from + limit).map(({ category: _c, ...row }) => row);
      const next = from + limit < all.length ? `page_${from + limit}` : '';
      return { retCode: 0, retMsg: 'OK', result: { category, list, nextPageCursor: next } };
    }
    if (path === BYBIT_RISK_LIMIT_PATH) {
      if (category !== 'linear' && category !== 'inverse') return { retCode: 10001, retMsg: 'params error: category invalid', result: {} };
      const symbol = q.get('symbol');
      return { retCode: 0, retMsg: 'OK', result: { category, list: this.riskRows.filter((r) => !symbol || r.symbol === symbol) } };
    }
    return undefined;
  }
}
