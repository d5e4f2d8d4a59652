/**
 * Bybit linear contracts from the venue at start: `GET /v5/market/instruments-info?category=linear`
 * page by page (`limit` up to 1000, `cursor` = the previous page's `nextPageCursor` until it is
 * empty), then `GET /v5/market/risk-limit?category=linear&symbol=..` per requested symbol. The
 * list holds trading symbols by default; a requested symbol it leaves out is asked for by name
 * (`&symbol=`) so a halted or delivered contract shows its status. Evidence: docs/live/bybit.md.
 */
import { ParseError } from '../../core/errors.ts';
import type { MarginTier } from '../../core/instruments.ts';
import type { RestGetter } from '../live/rest-get.ts';
import { parseRowByRow, rowsOf, statusesOf, type InstrumentFetcher, type VenueListing } from '../live/instrument-listing.ts';
import { parseBybitInstrumentsInfo, parseBybitRiskLimits } from './instruments.ts';
import { instrumentsInfoUrl, riskLimitUrl } from './urls.ts';

/** Bybit's largest page. */
export const BYBIT_INSTRUMENTS_PAGE_LIMIT = 1000;
/** A runaway cursor (a server that never ends the list) stops here: far above Bybit's ~600 linear symbols. */
const MAX_PAGES = 100;

function bybitResult(body: unknown, what: string): { list: Record<string, unknown>[]; next: string } {
  const b = body as { retCode?: unknown; retMsg?: unknown; result?: { list?: unknown; nextPageCursor?: unknown } };
  if (b?.retCode !== 0) throw new ParseError('E_MESSAGE', `Bybit ${what}: retCode ${JSON.stringify(b?.retCode)} ${JSON.stringify(b?.retMsg ?? '')}`);
  if (!Array.isArray(b.result?.list)) throw new ParseError('E_FIELD', `Bybit ${what}: no result.list`, 'result.list');
  const next = b.result?.nextPageCursor;
  return { list: rowsOf(b.result?.list), next: typeof next === 'string' ? next : '' };
}

export function bybitInstrumentFetcher(restBase: string, http: RestGetter, pageLimit = BYBIT_INSTRUMENTS_PAGE_LIMIT): InstrumentFetcher {
  /** Every row read (all pages, and symbols looked up by name), parsed again when tiers arrive. */
  const rows: Record<string, unknown>[] = [];
  const parse = (tiers: ReadonlyMap<string, MarginTier[]>, from = rows) =>
    parseRowByRow(from, 'symbol', (row) => parseBybitInstrumentsInfo({ retCode: 0, result: { category: 'linear', list: [row] } }, tiers));
  return {
    venue: 'bybit',
    async list(): Promise<VenueListing> {
      rows.length = 0;
      let pages = 0;
      const statuses = new Map<string, string>();
      const seenCursors = new Set<string>();
      let cursor = '';
      do {
        if (pages >= MAX_PAGES) throw new ParseError('E_MESSAGE', `Bybit instruments-info: still paging after ${MAX_PAGES} pages`, 'result.nextPageCursor', cursor);
        const body = await http.get(instrumentsInfoUrl(restBase, { limit: pageLimit, cursor }));
        const { list, next } = bybitResult(body, 'instruments-info');
        if (next && seenCursors.has(next)) throw new ParseError('E_MESSAGE', 'Bybit instruments-info: the same cursor came back twice', 'result.nextPageCursor', next);
        seenCursors.add(next);
        pages++;
        rows.push(...list);
        statusesOf(list, 'symbol', 'status', statuses);
        cursor = next;
      } while (cursor !== '');
      if (rows.length === 0) throw new ParseError('E_MESSAGE', 'Bybit instruments-info listed no instrument', 'result.list');
      const { instruments, rejected } = parse(new Map());
      return { instruments, statuses, rejected };
    },
    async lookup(symbol) {
      const body = await http.get(instrumentsInfoUrl(restBase, { symbol }));
      const { list } = bybitResult(body, 'instruments-info');
      const mine = list.filter((r) => r.symbol === symbol);
      if (mine.length === 0) return undefined;
      rows.push(...mine);
      const { instruments, rejected } = parse(new Map(), mine);
      return { instruments, statuses: statusesOf(mine, 'symbol', 'status'), rejected };
    },
    async withTiers(listing, symbols) {
      const tiers = new Map<string, MarginTier[]>();
      const missing: string[] = [];
      for (const symbol of symbols) {
        try {
          const body = await http.get(riskLimitUrl(restBase, symbol));
          bybitResult(body, 'risk-limit');
          for (const [k, v] of parseBybitRiskLimits(body)) if (k === symbol) tiers.set(k, v);
        } catch (e) {
          missing.push(`${symbol}: ${(e as Error).message}`);
        }
      }
      if (tiers.size === 0) return { listing, note: missing.length ? `no risk-limit tiers (${missing.join('; ')})` : undefined };
      return { listing: { instruments: parse(tiers).instruments, statuses: listing.statuses, rejected: listing.rejected }, note: missing.length ? `risk-limit tiers missing for ${missing.join('; ')}` : undefined };
    },
  };
}
