/**
 * A real capture or archive file read into one market's columns, through the same format
 * detection and venue parsers `orderflow import` uses (store/detect.ts, venues/formats.ts), but
 * without a store: the realism figures (docs/SIMULATOR.md) are measured on exactly the events
 * the importer would have stored.
 */
import { CollectSink } from '../core/collect-sink.ts';
import { ParseError } from '../core/errors.ts';
import type { MarketEvent, Venue } from '../core/events.ts';
import type { LineParser } from '../core/format.ts';
import type { InstrumentRegistry } from '../core/instruments.ts';
import { chooseFormat } from '../store/detect.ts';
import { openEntries, readLines } from '../store/read-source.ts';
import { allFormats } from '../venues/formats.ts';
import { MarketColumnsBuilder, type MarketColumns } from './stylized-facts.ts';

/**
 * Every normalized event of a file (plain, .gz or .zip), in file order. A bad row fails the read
 * with the parser's error, located as `file:entry:line` (no row is skipped: a figure measured on
 * a silently thinned tape would be wrong).
 */
export async function readFileEvents(path: string, instruments: InstrumentRegistry): Promise<MarketEvent[]> {
  const out: MarketEvent[] = [];
  for await (const entry of openEntries(path)) {
    const where = `${path}:${entry.name}`;
    const sink = new CollectSink();
    let parser: LineParser | undefined;
    try {
      for await (const batch of readLines(where, entry.stream)) {
        for (let i = 0; i < batch.lines.length; i++) {
          const line = batch.lines[i];
          if (parser === undefined) {
            if (line.trim() === '') continue;
            const format = chooseFormat({ formats: allFormats() }, where, entry.name, line);
            parser = format.createParser({ fileName: entry.name, symbol: format.symbolFromName?.(entry.name), instruments });
          }
          try {
            parser.line(line, batch.firstLineNo + i, sink);
          } catch (e) {
            throw e instanceof ParseError ? e.at(`${where}:${batch.firstLineNo + i}`) : e;
          }
        }
      }
      parser?.end?.(sink);
    } catch (e) {
      throw e instanceof ParseError && e.where === undefined ? e.at(`${where}:end`) : e;
    }
    out.push(...sink.events);
  }
  return out;
}

/** One market's columns from several files' events (trades from one file, book from another). */
export function marketColumns(venue: Venue, symbol: string, ...streams: readonly (readonly MarketEvent[])[]): MarketColumns {
  const b = new MarketColumnsBuilder(venue, symbol);
  const all = streams.flat().filter((e) => e.venue === venue && e.symbol === symbol);
  // Each file is in time order; merged, they must be too (a stable sort keeps file order per ts).
  all.sort((x, y) => x.ts - y.ts);
  for (const e of all) b.add(e);
  return b.columns();
}
