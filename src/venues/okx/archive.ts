/**
 * OKX historical files:
 *   - `okx-trades-archive`: the "Historical market data" trade history (module 1),
 *     `<instId>-trades-<YYYY-MM-DD>.zip` holding one CSV, in any of its three header variants
 *     (wire.ts); also the `-aggtrades-` files, which share the layout
 *   - `okx-ws-capture`: WebSocket captures (cryptofeed JSONL, `<local_ns> <json>`)
 * No OKX liquidation export exists (the history modules are trades, candles, funding, order book).
 */
import { ParseError } from '../../core/errors.ts';
import type { Side } from '../../core/events.ts';
import type { EventSink, FileFormat, LineParser, ParseContext } from '../../core/format.ts';
import { InstrumentRegistry, toBaseQty } from '../../core/instruments.ts';
import { epochMs, positive, splitCsv } from '../../core/parse-util.ts';
import { captureFormat } from '../capture.ts';
import type { Contract } from '../json-fields.ts';
import { OkxUnits, createOkxParser } from './parse.ts';
import { OKX_TRADES_HEADER, OKX_TRADES_HEADER_LEGACY, OKX_TRADES_HEADER_SOURCE } from './wire.ts';

/** `BTC-USDT-SWAP-trades-2024-01-01.csv` (or the .zip), `BTC-USDT-aggtrades-2023-04-23.csv`. */
const TRADES_NAME = /^([A-Z0-9]+(?:-[A-Z0-9]+)+)-(?:agg)?trades-\d{4}-\d{2}-\d{2}\.(?:csv|zip)$/;

/** Column positions per header variant. */
interface Layout {
  readonly width: number;
  /** -1: no instrument column (legacy files; the symbol comes from the file name or --symbol). */
  readonly instId: number;
  readonly id: number;
  readonly side: number;
  readonly price: number;
  readonly size: number;
  readonly time: number;
}
const LAYOUTS: ReadonlyMap<string, Layout> = new Map([
  // Legacy: size BEFORE price.
  [OKX_TRADES_HEADER_LEGACY, { width: 5, instId: -1, id: 0, side: 1, size: 2, price: 3, time: 4 }],
  [OKX_TRADES_HEADER, { width: 6, instId: 0, id: 1, side: 2, price: 3, size: 4, time: 5 }],
  [OKX_TRADES_HEADER_SOURCE, { width: 7, instId: 0, id: 1, side: 2, price: 3, size: 4, time: 5 }],
]);

function baseName(fileName: string): string {
  return fileName.slice(fileName.lastIndexOf('/') + 1);
}

export const okxTradesArchiveFormat: FileFormat = {
  id: 'okx-trades-archive',
  venue: 'okx',
  description: 'OKX historical trade history CSV (<instId>-trades-<date>.zip; legacy bilingual, 6- and 7-column headers)',
  detect(_fileName: string, firstLine: string): number {
    if (LAYOUTS.has(firstLine)) return 2;
    // A header variant we do not know yet: ours, and the parser names the header it saw.
    return firstLine.startsWith('instrument_name,trade_id,') || firstLine.startsWith('trade_id/') ? 1 : 0;
  },
  symbolFromName(fileName: string): string | undefined {
    return TRADES_NAME.exec(baseName(fileName))?.[1];
  },
  createParser(ctx: ParseContext): LineParser {
    const units = new OkxUnits(ctx.instruments);
    let layout: Layout | undefined;
    let lastSymbol = '';
    let contract: Contract | undefined;
    return {
      line(text: string, _lineNo: number, sink: EventSink): void {
        if (!layout) {
          layout = LAYOUTS.get(text);
          if (!layout) throw new ParseError('E_HEADER', `expected an OKX trade history header (${[...LAYOUTS.keys()].join(' | ')})`, undefined, text);
          if (layout.instId < 0 && !ctx.symbol) {
            throw new ParseError('E_FIELD', 'this header has no instrument column: name the file <instId>-trades-<date>.csv or pass --symbol', 'instrument_name');
          }
          return;
        }
        const c = splitCsv(text, layout.width, 'OKX trade history row');
        const symbol = layout.instId < 0 ? ctx.symbol! : c[layout.instId];
        if (symbol === '') throw new ParseError('E_FIELD', 'missing instrument', 'instrument_name', '');
        if (symbol !== lastSymbol) {
          contract = units.contract(symbol, 'instrument_name');
          lastSymbol = symbol;
        }
        const id = c[layout.id];
        if (id === '') throw new ParseError('E_FIELD', 'missing trade id', 'trade_id', '');
        const price = positive(c[layout.price], 'price');
        const qty = toBaseQty(contract!, positive(c[layout.size], 'size'), price);
        sink.trade('okx', symbol, epochMs(c[layout.time], 'ms', 'created_time'), NaN, price, qty, takerSide(c[layout.side]), id);
      },
    };
  },
};

function takerSide(text: string): Side {
  if (text === 'buy') return 'buy';
  if (text === 'sell') return 'sell';
  throw new ParseError('E_SIDE', 'expected buy or sell', 'side', text);
}

export const okxCaptureFormat: FileFormat = captureFormat(
  'okx',
  'OKX v5 public WebSocket capture, one frame per line (JSONL or `<local_ns> <json>`)',
  createOkxParser,
  createOkxParser({ fileName: '', symbol: undefined, instruments: new InstrumentRegistry() }),
);

export const okxFormats: FileFormat[] = [okxTradesArchiveFormat, okxCaptureFormat];
