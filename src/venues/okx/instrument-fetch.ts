/**
 * OKX swaps from the venue at start: `GET /api/v5/public/instruments?instType=SWAP` (every swap
 * with ctVal, tickSz, lotSz and `state`: live, suspend, preopen, test), then
 * `GET /api/v5/public/position-tiers?instType=SWAP&tdMode=cross&instFamily=..` once per family a
 * requested symbol belongs to, spaced so the calls stay inside OKX's per-IP limit for that
 * endpoint. Evidence: docs/live/okx.md.
 */
import { ParseError } from '../../core/errors.ts';
import type { RestGetter } from '../live/rest-get.ts';
import { parseRowByRow, rowsOf, statusesOf, type InstrumentFetcher } from '../live/instrument-listing.ts';
import { parseOkxInstruments, parseOkxPositionTiers, type OkxTierRow } from './instruments.ts';
import { okxInstrumentsUrl, okxPositionTiersUrl } from './urls.ts';

/** OKX answers HTTP 200 with a non-zero `code` for refusals: name it. */
function okxData(body: unknown, what: string): unknown {
  const code = (body as { code?: unknown })?.code;
  if (code !== '0') throw new ParseError('E_MESSAGE', `OKX ${what}: code ${JSON.stringify(code)} ${JSON.stringify((body as { msg?: unknown })?.msg ?? '')}`);
  if (!Array.isArray((body as { data?: unknown }).data)) throw new ParseError('E_FIELD', `OKX ${what}: no data array`, 'data');
  return body;
}

export function okxInstrumentFetcher(restBase: string, http: RestGetter): InstrumentFetcher {
  let swaps: unknown;
  return {
    venue: 'okx',
    async list() {
      swaps = okxData(await http.get(okxInstrumentsUrl(restBase, 'SWAP')), 'instruments');
      const rows = rowsOf((swaps as { data?: unknown }).data);
      if (rows.length === 0) throw new ParseError('E_MESSAGE', 'OKX instruments listed no swap', 'data');
      const { instruments, rejected } = parseRowByRow(rows, 'instId', (row) => parseOkxInstruments({ code: '0', data: [row] }));
      return { instruments, statuses: statusesOf(rows, 'instId', 'state'), rejected };
    },
    async withTiers(listing, symbols) {
      const families = new Set<string>();
      for (const row of rowsOf((swaps as { data?: unknown })?.data)) {
        if (symbols.includes(row.instId as string) && typeof row.uly === 'string') families.add((row.instFamily as string) || row.uly);
      }
      const tiers = new Map<string, OkxTierRow[]>();
      const missing: string[] = [];
      for (const family of families) {
        try {
          const body = okxData(await http.get(okxPositionTiersUrl(restBase, family)), 'position-tiers');
          for (const [k, v] of parseOkxPositionTiers(body)) tiers.set(k, v);
        } catch (e) {
          missing.push(`${family}: ${(e as Error).message}`);
        }
      }
      if (tiers.size === 0) return { listing, note: missing.length ? `no position tiers (${missing.join('; ')})` : undefined };
      const rows = rowsOf((swaps as { data?: unknown }).data).filter((r) => !listing.rejected?.has(String(r.instId)));
      return {
        listing: { instruments: parseOkxInstruments({ code: '0', data: rows }, tiers), statuses: listing.statuses, rejected: listing.rejected },
        note: missing.length ? `position tiers missing for ${missing.join('; ')}` : undefined,
      };
    },
  };
}
