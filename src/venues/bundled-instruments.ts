/**
 * The bundled instrument snapshot as instruments, for every command that needs a registry.
 *
 * From the sources, the snapshot is parsed (and so validated) at first use by the same parsers
 * that read live metadata (./instruments.ts). In dist/, scripts/build.mjs replaces this module by
 * the parsed result, so a command's start loads neither zod nor the venue parsers: validating the
 * three venues' snapshot took ~25 ms of a ~0.2 s `orderflow cvd` (docs/BENCHMARKS.md, startup).
 * A test checks that the build's module gives the same instruments as the parse.
 */
import { InstrumentRegistry, type Instrument } from '../core/instruments.ts';
import { parseBundledSnapshot } from './instruments.ts';

let cached: readonly Instrument[] | undefined;

/** Every bundled instrument (Binance USD-M, OKX, Bybit), parsed once per process. */
export function bundledInstruments(): readonly Instrument[] {
  cached ??= parseBundledSnapshot();
  return cached;
}

/** Every bundled instrument in a new registry. */
export function loadBundledInstruments(): InstrumentRegistry {
  return new InstrumentRegistry(bundledInstruments());
}
