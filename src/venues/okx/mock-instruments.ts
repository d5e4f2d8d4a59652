/**
 * The loopback OKX's own instruments (mock-server.ts): rows in OKX's `public/instruments` and
 * `public/position-tiers` shapes, built from the bundled snapshot (real OKX responses, see
 * src/venues/instruments-snapshot/README.md), never from a client's registry. Tests list new
 * swaps (`listSwap`: one listed "today" that no bundled file knows), halt them (`setState`) or
 * delist them; the server encodes sizes with these contract values.
 */
import { InstrumentRegistry } from '../../core/instruments.ts';
import { bundledSnapshotResponses } from '../instruments.ts';
import { parseOkxInstruments, parseOkxPositionTiers } from './instruments.ts';
import { OKX_PATHS } from './urls.ts';

type Row = Record<string, unknown>;

/** OKX's states: live, suspend (halted), preopen (listed, not yet trading), test. */
export type OkxInstrumentState = 'live' | 'suspend' | 'preopen' | 'test';

export interface OkxSwapListing {
  readonly instId: string;
  /** Contract value, as OKX writes it ("10"). */
  readonly ctVal: string;
  readonly tickSz: string;
  readonly lotSz?: string;
  readonly ctType?: 'linear' | 'inverse';
  readonly state?: OkxInstrumentState;
}

export class OkxMockInstruments {
  private readonly rows = new Map<string, Row>();
  private readonly tierRows = new Map<string, Row[]>();
  private cached: InstrumentRegistry | undefined;

  /** Every instrument and tier row of the bundled OKX snapshot. */
  static fromSnapshot(): OkxMockInstruments {
    const m = new OkxMockInstruments();
    for (const r of bundledSnapshotResponses('okx')) {
      const data = (r.body as { data: Row[] }).data;
      if (r.endpoint.startsWith(`GET ${OKX_PATHS.positionTiers}`)) {
        for (const t of data) m.tierRows.set(t.instFamily as string, [...(m.tierRows.get(t.instFamily as string) ?? []), t]);
      } else {
        for (const row of data) m.rows.set(row.instId as string, row);
      }
    }
    return m;
  }

  /** List a swap (replacing one of that instId): a full OKX row, the BTC-USDT-SWAP row's other fields. */
  listSwap(l: OkxSwapListing): void {
    const [base, quote] = l.instId.split('-');
    const inverse = (l.ctType ?? 'linear') === 'inverse';
    const template = this.rows.get('BTC-USDT-SWAP') ?? {};
    this.rows.set(l.instId, {
      ...template,
      instId: l.instId, instType: 'SWAP', uly: `${base}-${quote}`, instFamily: `${base}-${quote}`,
      ctVal: l.ctVal, ctValCcy: inverse ? quote : base, ctType: inverse ? 'inverse' : 'linear', settleCcy: inverse ? base : quote,
      tickSz: l.tickSz, lotSz: l.lotSz ?? '1', minSz: l.lotSz ?? '1', state: l.state ?? 'live', listTime: String(Date.now()),
    });
    this.cached = undefined;
  }

  setState(instId: string, state: OkxInstrumentState): void {
    const row = this.rows.get(instId);
    if (!row) throw new Error(`loopback OKX lists no ${instId}`);
    this.rows.set(instId, { ...row, state });
  }

  delist(instId: string): void {
    this.rows.delete(instId);
    this.cached = undefined;
  }

  /** The server's own registry (parsed with OKX's parser), for encoding sizes in contracts. */
  registry(): InstrumentRegistry {
    this.cached ??= new InstrumentRegistry(parseOkxInstruments({ code: '0', msg: '', data: [...this.rows.values()] }, parseOkxPositionTiers({ code: '0', msg: '', data: [...this.tierRows.values()].flat() })));
    return this.cached;
  }

  /** Answer `public/instruments` or `public/position-tiers` as OKX does; undefined for other paths. */
  answer(path: string, q: URLSearchParams): { status: number; body: unknown } | undefined {
    const ok = (data: Row[]) => ({ status: 200, body: { code: '0', msg: '', data } });
    const missing = (name: string) => ({ status: 200, body: { code: '50014', msg: `Parameter ${name} can not be empty.`, data: [] } });
    if (path === OKX_PATHS.instruments) {
      const instType = q.get('instType');
      if (!instType) return missing('instType');
      const instId = q.get('instId');
      const family = q.get('instFamily') ?? q.get('uly');
      const data = [...this.rows.values()].filter((r) => r.instType === instType && (!instId || r.instId === instId) && (!family || r.uly === family));
      if (instId && data.length === 0) return { status: 200, body: { code: '51001', msg: "Instrument ID doesn't exist", data: [] } };
      return ok(data);
    }
    if (path === OKX_PATHS.positionTiers) {
      if (!q.get('instType')) return missing('instType');
      if (!q.get('tdMode')) return missing('tdMode');
      const family = q.get('instFamily') ?? q.get('uly');
      if (!family) return missing('instFamily');
      return ok(this.tierRows.get(family) ?? []);
    }
    return undefined;
  }
}
