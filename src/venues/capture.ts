/**
 * Raw WebSocket captures, one frame per line, in either layout:
 *   - JSONL: `{"stream":...}` (cryptofeed-style, no receive time: localTs = NaN)
 *   - `<local_receive_ns> <json>` (hftbacktest collector, and `orderflow record --raw`)
 * Frames are decoded by the venue's own parse.ts, the one the live connectors use.
 */
import { ParseError } from '../core/errors.ts';
import type { CaptureRecord, KlineCapture, KlineRecord, Venue } from '../core/events.ts';
import type { EventSink, FileFormat, LineParser, ParseContext, VenueMessageParser } from '../core/format.ts';
import { epochMs } from '../core/parse-util.ts';
import { checkSymbol } from '../core/symbol.ts';

export interface CaptureLine {
  /** Local receive time, epoch ms, NaN when the line has none. */
  readonly localTs: number;
  readonly json: string;
}

/** Split `<ns> <json>` or plain JSON. */
export function splitCaptureLine(text: string): CaptureLine {
  const c = text.charCodeAt(0);
  if (c >= 48 && c <= 57) {
    const space = text.indexOf(' ');
    if (space < 0) throw new ParseError('E_COLUMNS', 'capture line: expected `<local_ns> <json>`', 'local_ns', text);
    return { localTs: epochMs(text.slice(0, space), 'ns', 'local_ns'), json: text.slice(space + 1) };
  }
  return { localTs: NaN, json: text };
}

export function decodeJson(json: string): unknown {
  try {
    return JSON.parse(json);
  } catch (e) {
    throw new ParseError('E_JSON', `invalid JSON: ${(e as Error).message}`, undefined, json);
  }
}

/**
 * Read one decoded frame with `read`. JSON.parse takes any nesting, but code that walks or prints a
 * value recursively (error messages included) overflows the stack on a frame nested thousands
 * deep: such a frame is one bad row (E_JSON, with its file:line), not the end of the import.
 * Call it before anything is written to the sink, so a refused frame leaves nothing behind.
 */
export function readFrame<T>(json: string, read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message)) throw new ParseError('E_JSON', 'JSON nested too deeply to read', undefined, json);
    throw e;
  }
}

/**
 * Keeps the last update of each candle of a capture. A capture holds many updates of one candle
 * (Binance `x:false`, Bybit `confirm:false`, every 250 ms to 60 s); the store wants one row per
 * (venue, symbol, kind, interval, openTime). The pending bar of a series is written when a newer
 * candle of the same series arrives, and by `flush()` at the end of the file.
 */
export class KlineCoalescer {
  private readonly pending = new Map<string, KlineRecord>();

  /**
   * Take the candles of one frame. Checked before anything is kept, so a frame that is refused
   * changes nothing: an update of a candle OLDER than the series' pending one cannot be stored
   * (that candle's row may already be written) and is E_TIME_BACKWARDS. The symbol is checked
   * here too: a held candle reaches the store's OrderGuard only with a later frame.
   */
  add(klines: readonly KlineCapture[], sink: EventSink): void {
    const latest = new Map<string, number>();
    for (const k of klines) {
      checkSymbol(k.symbol);
      const key = seriesKey(k);
      const open = latest.get(key) ?? this.pending.get(key)?.openTime ?? -Infinity;
      if (k.openTime < open) {
        throw new ParseError('E_TIME_BACKWARDS', `update of an older ${k.symbol} ${k.interval} candle after the candle opened at ${new Date(open).toISOString()} began`, 'openTime', new Date(k.openTime).toISOString());
      }
      latest.set(key, k.openTime);
    }
    for (const k of klines) {
      const key = seriesKey(k);
      const { type: _, ...bar } = k;
      const prev = this.pending.get(key);
      if (prev !== undefined && prev.openTime < bar.openTime) sink.kline(prev);
      this.pending.set(key, bar);
    }
  }

  /** Write every pending bar (the last update seen of each series' newest candle). */
  flush(sink: EventSink): void {
    for (const bar of this.pending.values()) sink.kline(bar);
    this.pending.clear();
  }
}

function seriesKey(k: KlineRecord): string {
  return `${k.venue}\u0000${k.symbol}\u0000${k.kind}\u0000${k.interval}`;
}

/** Write one frame's output: candles through the coalescer, market events as they are. */
export function emitRecords(records: readonly CaptureRecord[], sink: EventSink, klines: KlineCoalescer): void {
  let bars: KlineCapture[] | undefined;
  for (const r of records) if (r.type === 'kline') (bars ??= []).push(r);
  if (bars !== undefined) klines.add(bars, sink);
  for (const r of records) if (r.type !== 'kline') sink.event(r);
}

/**
 * A capture FileFormat for one venue. Detection looks at the first frame: the venue's parser
 * must recognise it.
 */
export function captureFormat(
  venue: Venue,
  description: string,
  createParser: (ctx: ParseContext) => VenueMessageParser,
  probe: VenueMessageParser,
): FileFormat {
  return {
    id: `${venue}-ws-capture`,
    venue,
    description,
    appendOnlyLog: true,
    detect(_fileName: string, firstLine: string): number {
      const t = firstLine.trimStart();
      if (!(t.startsWith('{') || /^\d+ \{/.test(t))) return 0;
      try {
        return probe.recognizes(decodeJson(splitCaptureLine(t).json)) ? 2 : 0;
      } catch {
        return 0;
      }
    },
    createParser(ctx: ParseContext): LineParser {
      const parser = createParser(ctx);
      const klines = new KlineCoalescer();
      return {
        line(text: string, _lineNo: number, sink: EventSink): void {
          if (text.length === 0) return;
          const { localTs, json } = splitCaptureLine(text);
          const records = readFrame(json, () => parser.parse(decodeJson(json), localTs));
          if (records) emitRecords(records, sink, klines);
        },
        end(sink: EventSink): void {
          klines.flush(sink);
        },
      };
    },
  };
}
