/**
 * Bybit historical files:
 *   - `bybit-trades-archive`: public.bybit.com/trading/<SYMBOL>/<SYMBOL><YYYY-MM-DD>.csv.gz
 *   - `bybit-ob-archive`: the official order-book download, `<YYYY-MM-DD>_<SYMBOL>_ob500.data`
 *     inside a zip, one `orderbook.500` frame per line (the WebSocket frame plus `cts`)
 *   - `bybit-ws-capture`: our own / cryptofeed / hftbacktest WebSocket captures
 * The order-book archive lines ARE WebSocket frames, so both go through parse.ts; the archive
 * keeps its own id so it is chosen by its file name and refuses non-book frames.
 */
import { ParseError } from '../../core/errors.ts';
import type { Side } from '../../core/events.ts';
import type { EventSink, FileFormat, LineParser, ParseContext } from '../../core/format.ts';
import { InstrumentRegistry, toBaseQty } from '../../core/instruments.ts';
import { epochMs, positive, splitCsv } from '../../core/parse-util.ts';
import { captureFormat, decodeJson, readFrame } from '../capture.ts';
import { isObject } from '../json-fields.ts';
import type { Contract } from '../json-fields.ts';
import { BybitUnits, createBybitParser } from './parse.ts';
import { BYBIT_TRADE_ARCHIVE_HEADER, BYBIT_TRADE_ARCHIVE_HEADER_RPI } from './wire.ts';

/** `BTCUSDT2024-01-01.csv` (the .gz's inner name) or `.csv.gz`. */
const TRADE_ARCHIVE_NAME = /^([A-Z0-9]+?)(\d{4}-\d{2}-\d{2})\.csv(?:\.gz)?$/;
/** `2024-12-01_XRPUSDT_ob500.data`. */
const OB_ARCHIVE_NAME = /^\d{4}-\d{2}-\d{2}_([A-Z0-9]+)_ob\d+\.data$/;

function baseName(fileName: string): string {
  return fileName.slice(fileName.lastIndexOf('/') + 1);
}

export const bybitTradesArchiveFormat: FileFormat = {
  id: 'bybit-trades-archive',
  venue: 'bybit',
  description: 'Bybit trade archive CSV (public.bybit.com/trading/<SYMBOL>/<SYMBOL><date>.csv.gz), with or without the RPI column',
  detect(_fileName: string, firstLine: string): number {
    if (firstLine === BYBIT_TRADE_ARCHIVE_HEADER || firstLine === BYBIT_TRADE_ARCHIVE_HEADER_RPI) return 2;
    // The same leading columns with a tail we do not know: ours, and the parser says which header it saw.
    return firstLine.startsWith('timestamp,symbol,side,size,price,') ? 1 : 0;
  },
  symbolFromName(fileName: string): string | undefined {
    return TRADE_ARCHIVE_NAME.exec(baseName(fileName))?.[1];
  },
  createParser(ctx: ParseContext): LineParser {
    const units = new BybitUnits(ctx.instruments);
    let width = 0;
    let lastSymbol = '';
    let contract: Contract | undefined;
    return {
      line(text: string, _lineNo: number, sink: EventSink): void {
        if (width === 0) {
          if (text === BYBIT_TRADE_ARCHIVE_HEADER) width = 10;
          else if (text === BYBIT_TRADE_ARCHIVE_HEADER_RPI) width = 11;
          else throw new ParseError('E_HEADER', `expected the Bybit trade archive header ${BYBIT_TRADE_ARCHIVE_HEADER} (optionally ,RPI)`, undefined, text);
          return;
        }
        const c = splitCsv(text, width, 'Bybit trade archive row');
        const symbol = c[1];
        if (symbol === '') throw new ParseError('E_FIELD', 'missing symbol', 'symbol', '');
        if (symbol !== lastSymbol) {
          contract = units.contract(symbol, 'symbol');
          lastSymbol = symbol;
        }
        const price = positive(c[4], 'price');
        const id = c[6];
        if (id === '') throw new ParseError('E_FIELD', 'missing trade id', 'trdMatchID', '');
        // `side` is the taker side. There is no block-trade flag in this file (see docs).
        sink.trade('bybit', symbol, epochMs(c[0], 's', 'timestamp'), NaN, price, toBaseQty(contract!, positive(c[3], 'size'), price), takerSide(c[2]), id);
      },
    };
  },
};

function takerSide(text: string): Side {
  if (text === 'Buy') return 'buy';
  if (text === 'Sell') return 'sell';
  throw new ParseError('E_SIDE', 'expected Buy or Sell', 'side', text);
}

export const bybitObArchiveFormat: FileFormat = {
  id: 'bybit-ob-archive',
  venue: 'bybit',
  description: 'Bybit order-book archive (<date>_<SYMBOL>_ob500.data in the zip: orderbook.500 snapshot/delta frames)',
  detect(fileName: string, firstLine: string): number {
    if (!isBookFrame(firstLine)) return 0;
    return OB_ARCHIVE_NAME.test(baseName(fileName)) ? 2 : 1;
  },
  symbolFromName(fileName: string): string | undefined {
    return OB_ARCHIVE_NAME.exec(baseName(fileName))?.[1];
  },
  createParser(ctx: ParseContext): LineParser {
    const parser = createBybitParser(ctx);
    return {
      line(text: string, _lineNo: number, sink: EventSink): void {
        const records = readFrame(text, () => {
          const msg = decodeJson(text);
          if (!isObject(msg) || typeof msg.topic !== 'string' || !msg.topic.startsWith('orderbook.')) {
            throw new ParseError('E_MESSAGE', 'expected an orderbook frame in an order-book archive', 'topic', isObject(msg) ? String(msg.topic) : text);
          }
          // Archives carry no receive time. An orderbook frame yields book events only.
          return parser.parse(msg, NaN) ?? [];
        });
        for (const r of records) if (r.type === 'book') sink.event(r);
      },
    };
  },
};

function isBookFrame(line: string): boolean {
  if (!line.startsWith('{')) return false;
  try {
    const msg = decodeJson(line);
    return isObject(msg) && typeof msg.topic === 'string' && msg.topic.startsWith('orderbook.') && isObject(msg.data);
  } catch {
    return false;
  }
}

const captureProbe = createBybitParser({ fileName: '', symbol: undefined, instruments: new InstrumentRegistry() });
const captureBase = captureFormat(
  'bybit',
  'Bybit v5 public WebSocket capture, one frame per line (JSONL or `<local_ns> <json>`)',
  createBybitParser,
  captureProbe,
);

/** The capture format, yielding to `bybit-ob-archive` on archive-named files (same lines, no tie). */
export const bybitCaptureFormat: FileFormat = {
  ...captureBase,
  detect(fileName: string, firstLine: string): number {
    const score = captureBase.detect(fileName, firstLine);
    return score > 0 && OB_ARCHIVE_NAME.test(baseName(fileName)) ? 1 : score;
  },
};

export const bybitFormats: FileFormat[] = [bybitTradesArchiveFormat, bybitObArchiveFormat, bybitCaptureFormat];
