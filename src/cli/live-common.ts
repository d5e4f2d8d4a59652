/**
 * What `orderflow watch` and `orderflow record` share: which markets (resolved against the
 * venues' own instrument lists, src/venues/live/instrument-source.ts), and a stop on SIGINT /
 * SIGTERM or after --seconds.
 */
import { UsageError } from '../core/errors.ts';
import { LIVE_VENUES, type LiveVenue } from '../venues/live/clients.ts';
import { LIVE_CHANNELS, type LiveChannel } from '../venues/live/types.ts';

/** The options as given, checked; symbols are resolved once the instrument lists are in. */
export interface LiveRequest {
  readonly venues: LiveVenue[];
  /** What --symbol said: symbols in any venue's spelling, or base assets. */
  readonly inputs: string[];
  readonly channels: LiveChannel[];
}

export function liveRequest(opts: { symbol: string; venues?: string; channels?: string }): LiveRequest {
  const venues = (opts.venues ?? LIVE_VENUES.join(',')).split(',').map((v) => v.trim()).filter(Boolean);
  for (const v of venues) if (!(LIVE_VENUES as readonly string[]).includes(v)) throw new UsageError(`--venues: unknown live venue ${JSON.stringify(v)}; known: ${LIVE_VENUES.join(', ')}`);
  const channels = (opts.channels ?? LIVE_CHANNELS.join(',')).split(',').map((c) => c.trim()).filter(Boolean);
  for (const c of channels) if (!(LIVE_CHANNELS as readonly string[]).includes(c)) throw new UsageError(`--channels: unknown channel ${JSON.stringify(c)}; known: ${LIVE_CHANNELS.join(', ')}`);
  const inputs = [...new Set(opts.symbol.split(',').map((s) => s.trim()).filter(Boolean))];
  if (inputs.length === 0) throw new UsageError('--symbol: give at least one symbol or base asset (BTC, AKTUSDT, ...)');
  return { venues: venues as LiveVenue[], inputs, channels: channels as LiveChannel[] };
}

/** Resolves on SIGINT / SIGTERM, after `seconds` when given, or when `stop` is called. */
export function untilStopped(seconds: number | undefined): { done: Promise<string>; dispose: () => void; stop: (why: string) => void } {
  let resolve!: (why: string) => void;
  const done = new Promise<string>((r) => (resolve = r));
  const onInt = () => resolve('SIGINT');
  const onTerm = () => resolve('SIGTERM');
  process.once('SIGINT', onInt);
  process.once('SIGTERM', onTerm);
  const timer = seconds !== undefined ? setTimeout(() => resolve(`${seconds} s elapsed`), seconds * 1000) : undefined;
  return {
    done,
    stop: (why) => resolve(why),
    dispose: () => {
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      if (timer) clearTimeout(timer);
    },
  };
}
