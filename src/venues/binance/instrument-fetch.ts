/**
 * Binance USD-M instruments from the venue at start: `GET /fapi/v1/exchangeInfo` (weight 1), every
 * symbol with its `status` (TRADING, SETTLING, PENDING_TRADING, ...). Brackets
 * (`/fapi/v1/leverageBracket`) are USER_DATA (signed), so no public tiers: instrument-source.ts
 * keeps the bundled snapshot's where it has them. Evidence: docs/live/binance.md.
 */
import { ParseError } from '../../core/errors.ts';
import type { RestGetter } from '../live/rest-get.ts';
import { parseRowByRow, rowsOf, statusesOf, type InstrumentFetcher, type VenueListing } from '../live/instrument-listing.ts';
import { parseBinanceExchangeInfo } from './instruments.ts';
import { binanceExchangeInfoUrl } from './urls.ts';

export function binanceInstrumentFetcher(restBase: string, http: RestGetter): InstrumentFetcher {
  return {
    venue: 'binance',
    async list(): Promise<VenueListing> {
      const body = await http.get(binanceExchangeInfoUrl(restBase));
      const rows = rowsOf((body as { symbols?: unknown })?.symbols);
      if (!Array.isArray((body as { symbols?: unknown })?.symbols)) parseBinanceExchangeInfo(body); // names what is wrong with the envelope
      if (rows.length === 0) throw new ParseError('E_MESSAGE', 'Binance exchangeInfo listed no symbol', 'symbols');
      const { instruments, rejected } = parseRowByRow(rows, 'symbol', (row) => parseBinanceExchangeInfo({ symbols: [row] }));
      return { instruments, statuses: statusesOf(rows, 'symbol', 'status'), rejected };
    },
  };
}
