/**
 * Raw WebSocket captures, one frame per line, in either layout:
 *   - JSONL: `{"stream":...}` (cryptofeed-style, no receive time: localTs = NaN)
 *   - `<local_receive_ns> <json>` (hftbacktest collector, and `orderflow record --raw`)
 * Frames are decoded by the venue's own parse.ts, the one the live connectors use.
 */
import { ParseError } from '../core/errors.ts';
import type { MarketEvent, Venue } from '../core/events.ts';
import type { EventSink, FileFormat, LineParser, ParseContext, VenueMessageParser } from '../core/format.ts';
import { epochMs } from '../core/parse-util.ts';

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

export function emitEvents(events: readonly MarketEvent[], sink: EventSink): void {
  for (const ev of events) sink.event(ev);
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
      return {
        line(text: string, _lineNo: number, sink: EventSink): void {
          if (text.length === 0) return;
          const { localTs, json } = splitCaptureLine(text);
          const events = parser.parse(decodeJson(json), localTs);
          if (events) emitEvents(events, sink);
        },
      };
    },
  };
}
