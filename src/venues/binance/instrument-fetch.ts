/**
 * Binance USD-M instruments from the venue at start: `GET /fapi/v1/exchangeInfo` (weight 1), every
 * symbol with its `status` (TRADING, SETTLING, PENDING_TRADING, ...). Brackets
 * (`/fapi/v1/leverageBracket`) are USER_DATA (signed), so no public tiers: instrument-source.ts
 * keeps the bundled snapshot's where it has them. Evidence: docs/live/binance.md.
 */
import type { RestGetter } from '../live/rest-get.ts';
import { rowsOf, statusesOf, type InstrumentFetcher, type VenueListing } from '../live/instrument-listing.ts';
import { parseBinanceExchangeInfo } from './instruments.ts';
import { binanceExchangeInfoUrl } from './urls.ts';

export function binanceInstrumentFetcher(restBase: string, http: RestGetter): InstrumentFetcher {
  return {
    venue: 'binance',
    async list(): Promise<VenueListing> {
      const body = await http.get(binanceExchangeInfoUrl(restBase));
      const instruments = parseBinanceExchangeInfo(body);
      return { instruments, statuses: statusesOf(rowsOf((body as { symbols?: unknown })?.symbols), 'symbol', 'status') };
    },
  };
}
