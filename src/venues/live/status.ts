/**
 * One stream's status, kept the same way by every live connector: its state, counters, lag and
 * last error (the StreamStatus of types.ts), and when it is reported to `onStatus`: on every
 * state change and whenever `lastError` changes. A venue client holds one `StreamStat` per stream
 * (and one per connection or REST poll it wants to show), extending it with its own per-stream
 * state where it has some.
 */
import type { Venue } from '../../core/events.ts';
import type { LiveHandlers, StreamState, StreamStatus } from './types.ts';

export class StreamStat {
  state: StreamState = 'connecting';
  messages = 0;
  events = 0;
  reconnects = 0;
  resyncs = 0;
  gaps = 0;
  parseErrors = 0;
  /** Local time of the last frame, epoch ms; NaN before any. */
  lastMessageAt = NaN;
  /** Local receive time minus exchange time of the last frame with one, ms; NaN when unknown. */
  lagMs = NaN;
  lastError: string | null = null;

  constructor(
    readonly venue: Venue,
    readonly stream: string,
    private readonly reporter: (s: StreamStatus) => void,
  ) {}

  snapshot(): StreamStatus {
    return {
      venue: this.venue,
      stream: this.stream,
      state: this.state,
      messages: this.messages,
      events: this.events,
      reconnects: this.reconnects,
      resyncs: this.resyncs,
      gaps: this.gaps,
      parseErrors: this.parseErrors,
      lastMessageAt: this.lastMessageAt,
      lagMs: this.lagMs,
      lastError: this.lastError,
    };
  }

  /** Move to `state` (and say why); reported when either changed. */
  set(state: StreamState, error?: string): void {
    const changed = state !== this.state || (error !== undefined && error !== this.lastError);
    this.state = state;
    if (error !== undefined) this.lastError = error;
    if (changed) this.report();
  }

  /** A new `lastError` without a state change (a malformed frame, a failed REST call). */
  error(message: string): void {
    this.lastError = message;
    this.report();
  }

  /** Forget the last error (a refused subscription that now succeeds). */
  clearError(): void {
    if (this.lastError === null) return;
    this.lastError = null;
    this.report();
  }

  /** A frame of this stream arrived at `localMs`. */
  frame(localMs: number): void {
    this.messages++;
    this.lastMessageAt = localMs;
  }

  /**
   * The exchange time of the newest data in a frame: `lagMs`, and `lagging` while it is more than
   * `warnMs` behind the local clock (back to `connected` once it is not).
   */
  lag(localMs: number, exchangeTs: number, warnMs: number): void {
    if (!Number.isFinite(exchangeTs)) return;
    this.lagMs = localMs - exchangeTs;
    if (this.state === 'connected' && this.lagMs > warnMs) this.set('lagging');
    else if (this.state === 'lagging' && this.lagMs <= warnMs) this.set('connected');
  }

  report(): void {
    this.reporter(this.snapshot());
  }
}

/**
 * The `onStatus` reporter for a client's StreamStats: a handler that throws must not stop the
 * feed, and there is nowhere else to say it, so it is swallowed.
 */
export function statusReporter(handlers: LiveHandlers): (s: StreamStatus) => void {
  return (s) => {
    try {
      handlers.onStatus?.(s);
    } catch {
      // onStatus is the reporter itself.
    }
  };
}
