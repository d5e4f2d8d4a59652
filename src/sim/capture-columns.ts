/**
 * A real capture or archive file read into one market's columns, through the same format
 * detection and venue parsers `orderflow import` uses (store/detect.ts, venues/formats.ts), but
 * without a store: the realism figures (docs/SIMULATOR.md) are measured on exactly what the
 * importer would have stored.
 */
import type { MarketEvent, Venue } from '../core/events.ts';
import { CollectSink } from '../core/collect-sink.ts';
import type { InstrumentRegistry } from '../core/instruments.ts';
import { chooseFormat } from '../store/detect.ts';
import { openEntries, readLines } from '../store/read-source.ts';
import { allFormats } from '../venues/formats.ts';
import { MarketColumnsBuilder, type MarketColumns } from './stylized-facts.ts';

/** Every normalized event of a file (plain, .gz or .zip), in file order. */
export async function readFileEvents(path: string, instruments: InstrumentRegistry): Promise<MarketEvent[]> {
  const out: MarketEvent[] = [];
  for await (const entry of openEntries(path)) {
    const sink = new CollectSink();
    let parser: ReturnType<ReturnType<typeof chooseFormat>['createParser']> | undefined;
    for await (const batch of readLines(`${path}:${entry.name}`, entry.stream)) {
      batch.lines.forEach((line, i) => {
        if (parser === undefined) {
          if (line.trim() === '') return;
          const format = chooseFormat({ formats: allFormats() }, path, entry.name, line);
          parser = format.createParser({ fileName: entry.name, symbol: format.symbolFromName?.(entry.name), instruments });
        }
        parser.line(line, batch.firstLineNo + i, sink);
      });
    }
    parser?.end?.(sink);
    out.push(...sink.events);
  }
  return out;
}

/** The venue + symbol with the most events among `events` (a capture may hold several markets). */
export function busiestMarket(events: readonly MarketEvent[]): { venue: Venue; symbol: string } | undefined {
  const counts = new Map<string, number>();
  for (const e of events) counts.set(`${e.venue} ${e.symbol}`, (counts.get(`${e.venue} ${e.symbol}`) ?? 0) + 1);
  let best: string | undefined;
  for (const [k, n] of counts) if (best === undefined || n > counts.get(best)!) best = k;
  if (best === undefined) return undefined;
  const [venue, symbol] = best.split(' ') as [Venue, string];
  return { venue, symbol };
}

/** One market's columns from several files' events (trades from one file, book from another...). */
export function marketColumns(venue: Venue, symbol: string, ...streams: readonly (readonly MarketEvent[])[]): MarketColumns {
  const b = new MarketColumnsBuilder(venue, symbol);
  const all = streams.flat().filter((e) => e.venue === venue && e.symbol === symbol);
  // Files are each in time order; merged, they must be too (stable: file order within one ts).
  all.sort((x, y) => x.ts - y.ts);
  for (const e of all) b.add(e);
  return b.columns();
}
