/**
 * What `orderflow watch`, `record` and `paper` share: which markets (resolved against the
 * venues' own instrument lists, src/venues/live/instrument-source.ts), the recorder's memory
 * bound, and a stop on SIGINT / SIGTERM or after --seconds.
 */
import { UsageError } from '../core/errors.ts';
import { DEFAULT_MAX_PENDING_BYTES } from '../store/recorder.ts';
import { numberOpt } from './options.ts';
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

/** `--max-pending-mb` (record, paper): the recorder's bound on rows waiting for the store (docs/LIVE.md, "a store that cannot keep up"); `.option(...MAX_PENDING_OPTION)`. */
export const MAX_PENDING_OPTION: [string, string, string] = [
  '--max-pending-mb <MiB>',
  'memory for rows waiting for the store; beyond it the oldest are dropped (a gap row says which)',
  String(DEFAULT_MAX_PENDING_BYTES / 1048576),
];

/** The checked `--max-pending-mb`, in bytes. */
export function maxPendingBytes(text: string): number {
  const mb = numberOpt(text, '--max-pending-mb', 'MiB, at least 1');
  if (!(mb >= 1)) throw new UsageError(`--max-pending-mb: expected MiB, at least 1, got ${JSON.stringify(text)}`);
  return mb * 1048576;
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
