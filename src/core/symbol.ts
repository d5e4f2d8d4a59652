/**
 * What a market symbol may look like, checked where a symbol is taken from file content (the
 * importer's OrderGuard) or from the command line. A symbol is stored once per row and printed by
 * `info`: a 20 MB "symbol" or one carrying terminal escape sequences must be refused at parse time.
 *
 * Letters and digits of any script (Binance lists `币安人生USDT`), and `.` `_` `:` `/` `-`:
 * Binance `BTCUSDT`, `BTCUSD_PERP`, `BTCUSDT_240927`; OKX `BTC-USDT-SWAP`, `BTC-USD-240927-60000-C`;
 * Bybit `BTCUSDT`, `BTC-27DEC24-100000-C`; Tardis and ccxt spellings (`XBT/USD`, `BTC/USDT:USDT`).
 * The longest we know are option symbols of about 25 characters.
 */
import { ParseError } from './errors.ts';

export const MAX_SYMBOL_LENGTH = 40;

/** The accepted characters, as a pattern both JavaScript (flag u) and DuckDB's RE2 read alike. */
export const SYMBOL_PATTERN = '[\\p{L}\\p{N}._:/-]+';

const SYMBOL = new RegExp(`^${SYMBOL_PATTERN}$`, 'u');

/** Whether `symbol` is one we store (1 to MAX_SYMBOL_LENGTH characters of the accepted set). */
export function isValidSymbol(symbol: string): boolean {
  return symbol.length > 0 && symbol.length <= MAX_SYMBOL_LENGTH && SYMBOL.test(symbol);
}

/** E_SYMBOL naming `field` when `symbol` is not one we store. */
export function checkSymbol(symbol: string, field = 'symbol'): void {
  if (isValidSymbol(symbol)) return;
  const why = symbol.length === 0
    ? 'empty symbol'
    : symbol.length > MAX_SYMBOL_LENGTH
      ? `symbol longer than ${MAX_SYMBOL_LENGTH} characters (${symbol.length})`
      : 'symbol with characters other than letters, digits and . _ : / -';
  throw new ParseError('E_SYMBOL', why, field, symbol);
}
