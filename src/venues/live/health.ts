/**
 * Whether each venue's live client ever got through, and the last reason it did not: what
 * `orderflow watch` and `orderflow record` tell a user whose network, proxy or DNS is broken
 * (instead of redrawing "down 3" or ending with "recorded 0 rows"). Fed by the clients' status
 * reports (LiveHandlers.onStatus); knows nothing of sockets.
 */
import type { Venue } from '../../core/events.ts';
import type { StreamStatus } from './types.ts';

export interface VenueConnection {
  readonly venue: Venue;
  /** A stream of this venue was up (subscribed, data flowing or a book resyncing) at least once. */
  readonly everConnected: boolean;
  /** Streams down now / all streams reported. */
  readonly down: number;
  readonly streams: number;
  /** The last error a stream reported while it was not up (disconnect reason, refusal), with its stream. */
  readonly lastError: { readonly stream: string; readonly text: string } | undefined;
}

const UP = new Set(['connected', 'lagging', 'resyncing']);

export class LiveHealth {
  private readonly venues = new Map<Venue, { ever: boolean; streams: Map<string, StreamStatus>; lastError: { stream: string; text: string } | undefined }>();

  /** Venues watched: listed even before their first report (a client that never reports is never connected). */
  constructor(venues: readonly Venue[]) {
    for (const v of venues) this.venues.set(v, { ever: false, streams: new Map(), lastError: undefined });
  }

  /**
   * Take one status report. Returns true for the first connection error of a venue that has never
   * connected (a caller may say it at once, not at the end).
   */
  note(s: StreamStatus): boolean {
    let v = this.venues.get(s.venue);
    if (!v) this.venues.set(s.venue, (v = { ever: false, streams: new Map(), lastError: undefined }));
    v.streams.set(s.stream, s);
    if (UP.has(s.state) || s.messages > 0) v.ever = true;
    if (s.lastError === null || UP.has(s.state)) return false;
    const first = !v.ever && v.lastError === undefined;
    v.lastError = { stream: s.stream, text: s.lastError };
    return first;
  }

  venue(venue: Venue): VenueConnection {
    const v = this.venues.get(venue) ?? { ever: false, streams: new Map(), lastError: undefined };
    let down = 0;
    for (const s of v.streams.values()) if (s.state === 'down') down++;
    return { venue, everConnected: v.ever, down, streams: v.streams.size, lastError: v.lastError };
  }

  all(): VenueConnection[] {
    return [...this.venues.keys()].map((v) => this.venue(v));
  }

  /** True when no venue ever connected: the command failed at what it is for. */
  nothingConnected(): boolean {
    return this.all().every((v) => !v.everConnected);
  }

  /**
   * One line per venue that never connected or has a stream down: `binance: never connected; last
   * error: [E_DISCONNECT] connection:market: socket error: getaddrinfo ENOTFOUND fstream.binance.com`.
   */
  problems(): string[] {
    const out: string[] = [];
    for (const v of this.all()) {
      if (v.everConnected && v.down === 0) continue;
      const state = v.everConnected ? `${v.down} of ${v.streams} streams down` : 'never connected';
      // lastError names its stream: `[E_DISCONNECT] connection:market: socket error: ...`.
      const why = v.lastError ? `; last error: ${oneLine(v.lastError.text)}` : '; no error reported yet';
      out.push(`${v.venue}: ${state}${why}`);
    }
    return out;
  }
}

/** Errors may quote venue text: one terminal line, no control characters. */
function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f]+/g, ' ').slice(0, 300);
}
