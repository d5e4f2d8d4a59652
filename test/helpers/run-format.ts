/**
 * Feed text through a FileFormat the way the importer does (lines split on LF, a trailing CR
 * dropped, no final empty line) and collect the output.
 */
import { CollectSink } from '../../src/core/collect-sink.ts';
import type { FileFormat, ParseContext } from '../../src/core/format.ts';
import { InstrumentRegistry } from '../../src/core/instruments.ts';

export function lines(text: string): string[] {
  const out = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (out.length > 0 && out[out.length - 1] === '') out.pop();
  return out;
}

export function context(fileName: string, over: Partial<ParseContext> = {}): ParseContext {
  return { fileName, symbol: undefined, instruments: new InstrumentRegistry(), ...over };
}

/** Run every line through a fresh parser of `format`; throws what the parser throws. */
export function runFormat(format: FileFormat, ctx: ParseContext, text: string): CollectSink {
  const sink = new CollectSink();
  const parser = format.createParser(ctx);
  lines(text).forEach((l, i) => parser.line(l, i + 1, sink));
  parser.end?.(sink);
  return sink;
}
