/** Shared by the Binance tests: fixture paths and a tiny stand-in for the importer's line loop. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { CollectSink } from '../../../src/core/collect-sink.ts';
import { ParseError } from '../../../src/core/errors.ts';
import type { FileFormat, ParseContext } from '../../../src/core/format.ts';
import { InstrumentRegistry } from '../../../src/core/instruments.ts';
import { binanceFormats } from '../../../src/venues/binance/archive.ts';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/binance/', import.meta.url));
export const GOLDEN = `${FIXTURES}golden/`;

export function fixture(name: string): string {
  const path = `${FIXTURES}${name}`;
  return name.endsWith('.gz') ? gunzipSync(readFileSync(path)).toString('utf8') : readFileSync(path, 'utf8');
}

/** Lines as the importer feeds them: split on \n, no trailing empty line. */
export function lines(text: string): string[] {
  const out = text.split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out;
}

export function format(id: string): FileFormat {
  const f = binanceFormats.find((x) => x.id === id);
  if (!f) throw new Error(`no format ${id}`);
  return f;
}

export function ctx(fileName: string, symbol?: string, instruments = new InstrumentRegistry()): ParseContext {
  return { fileName, symbol, instruments };
}

/**
 * Run a format over a text. The symbol defaults to the one the file name carries, as the importer
 * does; `where` is added to errors as `name:line`.
 */
export function run(formatId: string, fileName: string, text: string, opts: { symbol?: string; instruments?: InstrumentRegistry } = {}): CollectSink {
  const f = format(formatId);
  const parser = f.createParser(ctx(fileName, opts.symbol ?? f.symbolFromName?.(fileName), opts.instruments));
  const sink = new CollectSink();
  const ls = lines(text);
  for (let i = 0; i < ls.length; i++) {
    try {
      parser.line(ls[i], i + 1, sink);
    } catch (e) {
      if (e instanceof ParseError) throw e.at(`${fileName}:${i + 1}`);
      throw e;
    }
  }
  parser.end?.(sink);
  return sink;
}
