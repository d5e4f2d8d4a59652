/**
 * The loopback-server kit the three mock exchanges (src/venues/<venue>/mock-server.ts) are built
 * on: their connections, how a data frame reaches them, and ONE fault API. A venue server keeps
 * only its protocol (paths, requests and replies, encodings, REST, its venue state); what a test
 * does to the wire is the same call on every venue:
 *
 *   server.faults.disconnect()                       network loss (or { code, reason }: a close frame)
 *   server.faults.stall()                            silent: open sockets get nothing, pings unanswered
 *   const burst = server.faults.slowConsumer(); ...; burst.release()   a backlog sent at once
 *   server.faults.malformed({ stream, count, mode }) valid JSON, one field the parser must refuse
 *   server.faults.truncated({ stream, count, mode }) the text cut in half
 *   server.faults.reorder({ stream, count })         held back, sent after the stream's next frame
 *   server.faults.duplicate({ stream, count })       sent twice
 *   server.faults.sequenceGap({ stream, count })     not sent, the venue state moves on (book id, trade id)
 *   server.faults.checksumMismatch({ stream })       a book frame whose checksum fails (venues with one)
 *   server.faults.subscriptionError({ stream, count, code, msg })   the venue's refusal reply
 *   server.faults.restError({ path, count, status }) the venue's error answer over REST
 *   server.faults.clear()
 *
 * `stream` is the venue's own stream name, as its client reports it in StreamStatus: Binance
 * `btcusdt@aggTrade`, OKX `books:BTC-USDT-SWAP` (`<channel>:<instId|instType>`), Bybit
 * `orderbook.200.BTCUSDT`; a string matches exactly, a RegExp by test; none = every stream.
 * Frame faults hit the next matching frames (`count`, default 1), decided once per frame for every
 * connection it goes to, then wear off.
 */
import type { WebSocket } from 'ws';
import type { MarketEvent } from '../../core/events.ts';

/**
 * What every loopback venue server offers, whatever the venue (each adds its own extras: OKX's
 * notice, Bybit's book-service restart, inspection of its venue state).
 */
export interface LoopbackVenueServer {
  /** WebSocket base `ws://127.0.0.1:<port>`: the client appends the venue's paths. */
  readonly wsUrl: string;
  /** REST base `http://127.0.0.1:<port>`. */
  readonly restUrl: string;
  /** The one fault API. */
  readonly faults: MockFaults;
  /** Encode a normalized event into the venue's frames for its subscribers; the venue state (book, trade history) follows. */
  publish(event: MarketEvent): void;
  /** Publish everything a source yields, `everyMs` apart (default: as fast as it yields); resolves with the count. */
  feed(source: Iterable<MarketEvent> | AsyncIterable<MarketEvent>, opts?: { readonly everyMs?: number }): Promise<number>;
  /** Captured frames (`<json>` or `<local_ns> <json>` lines) sent verbatim to their subscribers and applied to the venue state; resolves with the count. */
  replayRaw(lines: Iterable<string> | AsyncIterable<string>, opts?: { readonly everyMs?: number }): Promise<number>;
  close(): Promise<void>;
}

/**
 * Where a loopback server listens. Default 127.0.0.1 and ephemeral ports: tests and
 * `orderflow sim --serve` stay on the loopback interface unless another host is asked for.
 */
export interface LoopbackListen {
  /** Interface to bind. Default 127.0.0.1. */
  readonly host?: string;
  /** WebSocket port (a venue that serves REST on the same port uses this one). Default 0: any free port. */
  readonly wsPort?: number;
  /** REST port, for venues with a separate REST server. Default 0. */
  readonly restPort?: number;
}

/** The host as a URL writes it (`[::1]` for an IPv6 address). */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Keep a venue's REST history to its newest `limit` items, trimmed in chunks of an eighth of it:
 * between `limit` and `limit` + `limit` / 8 items are kept. Dropping the oldest item one by one
 * (`shift`, `splice(0, 1)`) moves the whole array each time: at 100,000 trades that was ~10 µs a
 * trade, the larger part of the loopback servers' CPU at the paper benchmark's rate.
 */
export function keepNewest<T>(items: T[], limit: number): void {
  if (items.length > limit + (limit >> 3)) items.splice(0, items.length - limit);
}

/** `each` on every item of a (sync or async) source, `everyMs` apart; blank strings are skipped. Returns the count. */
export async function paced<T>(source: Iterable<T> | AsyncIterable<T>, each: (item: T) => void, everyMs?: number): Promise<number> {
  let n = 0;
  for await (const item of source) {
    if (typeof item === 'string' && item.trim() === '') continue;
    each(item);
    n++;
    if (everyMs) await new Promise((r) => setTimeout(r, everyMs));
  }
  return n;
}

/** Faults that change one published data frame. */
export type FrameFaultKind = 'malformed' | 'truncated' | 'reorder' | 'duplicate' | 'sequence_gap' | 'checksum';

export interface FrameTarget {
  /** The venue's stream name, or a pattern; default every stream. */
  readonly stream?: string | RegExp;
  /** How many frames. Default 1. */
  readonly count?: number;
}

export interface BrokenFrameTarget extends FrameTarget {
  /** `replace` (default): the broken frame goes instead of the real one; `insert`: before it (nothing is lost). */
  readonly mode?: 'replace' | 'insert';
}

export interface SubscriptionErrorTarget {
  readonly stream: string | RegExp;
  /** Subscriptions refused. Default: every one until clear(). */
  readonly count?: number;
  /** The venue's error code and words; default the venue's own reply for an unknown stream. */
  readonly code?: string;
  readonly msg?: string;
}

export interface RestErrorTarget {
  /** Request path (`/fapi/v1/aggTrades`) or pattern; default every path. */
  readonly path?: string | RegExp;
  /** Default 1. */
  readonly count?: number;
  /** HTTP status, answered with the venue's internal-error body. Default 503. */
  readonly status?: number;
}

export interface FrameFault {
  readonly kind: FrameFaultKind;
  readonly mode: 'replace' | 'insert';
}

interface Armed<T> {
  readonly match: string | RegExp | undefined;
  left: number;
  readonly value: T;
}

/** What the connection faults act on: the kit's connections. */
interface ConnectionActions {
  disconnect(code?: number, reason?: string): number;
  stall(): number;
  hold(): void;
  release(): number;
}

export class MockFaults {
  private readonly frames: Armed<FrameFault>[] = [];
  private readonly subscriptions: Armed<{ code?: string; msg?: string }>[] = [];
  private readonly rest: Armed<{ status: number }>[] = [];

  constructor(
    private readonly venue: string,
    private readonly conns: ConnectionActions,
    /** The venue's book frames carry a checksum (OKX). */
    private readonly hasChecksum: boolean,
  ) {}

  /** Drop every open connection now: abruptly (network loss) or, with `code`, with a close frame. Returns how many. */
  disconnect(close?: { readonly code: number; readonly reason?: string }): number {
    return this.conns.disconnect(close?.code, close?.reason);
  }

  /** Every open connection goes silent (no data, replies or pings; socket left open). New connections are healthy. Returns how many. */
  stall(): number {
    return this.conns.stall();
  }

  /** Hold every data frame from now on; `release()` sends the backlog at once (a burst at a slow consumer). */
  slowConsumer(): { release(): number } {
    this.conns.hold();
    return { release: () => this.conns.release() };
  }

  malformed(t: BrokenFrameTarget = {}): this {
    return this.frame('malformed', t, t.mode);
  }
  truncated(t: BrokenFrameTarget = {}): this {
    return this.frame('truncated', t, t.mode);
  }
  reorder(t: FrameTarget = {}): this {
    return this.frame('reorder', t);
  }
  duplicate(t: FrameTarget = {}): this {
    return this.frame('duplicate', t);
  }
  sequenceGap(t: FrameTarget = {}): this {
    return this.frame('sequence_gap', t);
  }
  checksumMismatch(t: FrameTarget = {}): this {
    if (!this.hasChecksum) throw new Error(`${this.venue} book frames carry no checksum: checksumMismatch() does not apply`);
    return this.frame('checksum', t);
  }

  subscriptionError(t: SubscriptionErrorTarget): this {
    this.subscriptions.push({ match: t.stream, left: t.count ?? Infinity, value: { code: t.code, msg: t.msg } });
    return this;
  }

  restError(t: RestErrorTarget = {}): this {
    this.rest.push({ match: t.path, left: t.count ?? 1, value: { status: t.status ?? 503 } });
    return this;
  }

  clear(): void {
    this.frames.length = 0;
    this.subscriptions.length = 0;
    this.rest.length = 0;
  }

  /** For the venue server: the fault (if any) for the next frame of `stream`, among `kinds`, counted down. */
  takeFrame(stream: string, kinds: readonly FrameFaultKind[]): FrameFault | undefined {
    return take(this.frames, stream, (f) => kinds.includes(f.kind));
  }

  /** For the venue server: a refusal for a subscription to `stream`, counted down. */
  takeSubscription(stream: string): { readonly code?: string; readonly msg?: string } | undefined {
    return take(this.subscriptions, stream);
  }

  /** For the venue server: an error answer for a REST call to `path`, counted down. */
  takeRest(path: string): { readonly status: number } | undefined {
    return take(this.rest, path);
  }

  private frame(kind: FrameFaultKind, t: FrameTarget, mode: 'replace' | 'insert' = 'replace'): this {
    this.frames.push({ match: t.stream, left: t.count ?? 1, value: { kind, mode } });
    return this;
  }
}

function take<T>(list: Armed<T>[], name: string, ok: (v: T) => boolean = () => true): T | undefined {
  for (let i = 0; i < list.length; i++) {
    const a = list[i];
    if (!ok(a.value) || !matches(a.match, name)) continue;
    if (--a.left <= 0) list.splice(i, 1);
    return a.value;
  }
  return undefined;
}

export function matches(pattern: string | RegExp | undefined, value: string): boolean {
  if (pattern === undefined) return true;
  return typeof pattern === 'string' ? pattern === value : pattern.test(value);
}

/** What the kit keeps per connection; a venue's connection type extends it (`...loopbackConn(ws)`). */
export interface LoopbackConn {
  readonly ws: WebSocket;
  /** Silent stall: nothing is sent to it any more. */
  stalled: boolean;
  /** Reordered frames held back, per stream, until that stream's next frame (or a short timeout). */
  readonly heldBack: Map<string, { readonly text: string; readonly timer: NodeJS.Timeout }>;
}

export function loopbackConn(ws: WebSocket): LoopbackConn {
  return { ws, stalled: false, heldBack: new Map() };
}

export interface LoopbackKitOptions {
  /** Venue name in messages. */
  readonly venue: string;
  /** A copy of a data frame with one field the venue's parser must refuse (still valid JSON). */
  readonly malformed: (text: string) => string;
  /** The venue's book frames carry a checksum (the server applies `checksum` faults itself). */
  readonly checksum?: boolean;
  /** A reordered frame whose stream sends nothing more goes out after this long, ms. Default 100. */
  readonly reorderFlushMs?: number;
  /** Called after each data frame written (e.g. a venue's idle-close clock). */
  readonly onData?: (c: LoopbackConn) => void;
}

/** Connections of one loopback server, the way data reaches them, and the faults on both. */
export class LoopbackKit<C extends LoopbackConn> {
  readonly conns = new Set<C>();
  readonly faults: MockFaults;
  /** Data frames written to sockets (a duplicate counts twice). */
  framesSent = 0;
  /** The largest `bufferedAmount` seen on a socket (a slow reader makes it grow). */
  maxBuffered = 0;
  private holding: [C, string][] | undefined;

  constructor(private readonly o: LoopbackKitOptions) {
    this.faults = new MockFaults(o.venue, {
      disconnect: (code, reason) => {
        const n = this.conns.size;
        for (const c of this.conns) {
          if (code === undefined) c.ws.terminate();
          else c.ws.close(code, reason ?? '');
        }
        return n;
      },
      stall: () => {
        for (const c of this.conns) c.stalled = true;
        return this.conns.size;
      },
      hold: () => {
        this.holding ??= [];
      },
      release: () => {
        const q = this.holding ?? [];
        this.holding = undefined;
        for (const [c, text] of q) this.write(c, text);
        return q.length;
      },
    }, o.checksum ?? false);
  }

  add(c: C): void {
    this.conns.add(c);
  }

  /** The connection closed: forget it and its held frames. */
  remove(c: C): void {
    for (const h of c.heldBack.values()) clearTimeout(h.timer);
    c.heldBack.clear();
    this.conns.delete(c);
  }

  /** A control frame (ack, error reply, pong): no frame fault, never held; nothing once stalled. */
  reply(c: C, text: string): void {
    if (c.stalled || c.ws.readyState !== c.ws.OPEN) return;
    c.ws.send(text);
  }

  /** A data frame to one connection without frame faults (a subscribe-time snapshot); held while a slow consumer is simulated. */
  data(c: C, text: string): void {
    if (c.stalled || c.ws.readyState !== c.ws.OPEN) return;
    if (this.holding) {
      this.holding.push([c, text]);
      return;
    }
    this.write(c, text);
  }

  /**
   * A data frame of `stream` (text, or built per connection) to the connections `to` selects,
   * through the armed frame faults (decided once for the frame). `kinds` limits which faults
   * apply (a venue that handles `checksum` or `sequence_gap` itself leaves them out).
   */
  publish(stream: string, text: string | ((c: C) => string), to: (c: C) => boolean, kinds: readonly FrameFaultKind[] = GENERIC): void {
    let fault: FrameFault | undefined;
    let decided = false;
    for (const c of this.conns) {
      if (!to(c) || c.stalled) continue;
      if (!decided) {
        fault = this.faults.takeFrame(stream, kinds);
        decided = true;
      }
      const t = typeof text === 'string' ? text : text(c);
      switch (fault?.kind) {
        case 'sequence_gap':
          continue;
        case 'malformed':
          this.send(c, stream, this.o.malformed(t));
          if (fault.mode === 'insert') this.send(c, stream, t);
          continue;
        case 'truncated':
          this.send(c, stream, t.slice(0, Math.max(1, Math.floor(t.length / 2))));
          if (fault.mode === 'insert') this.send(c, stream, t);
          continue;
        case 'duplicate':
          this.send(c, stream, t);
          this.send(c, stream, t);
          continue;
        case 'reorder':
          if (!c.heldBack.has(stream)) {
            const timer = setTimeout(() => this.flushHeld(c, stream), this.o.reorderFlushMs ?? 100);
            c.heldBack.set(stream, { text: t, timer });
            continue;
          }
          this.send(c, stream, t);
          continue;
        default:
          this.send(c, stream, t);
      }
    }
  }

  /** Every connection: close them all (server shutdown). */
  closeAll(): void {
    for (const c of this.conns) {
      for (const h of c.heldBack.values()) clearTimeout(h.timer);
      c.ws.terminate();
    }
  }

  /** One data frame, then the frame of the same stream held back for reordering. */
  private send(c: C, stream: string, text: string): void {
    this.data(c, text);
    this.flushHeld(c, stream);
  }

  private flushHeld(c: C, stream: string): void {
    const h = c.heldBack.get(stream);
    if (!h) return;
    clearTimeout(h.timer);
    c.heldBack.delete(stream);
    this.data(c, h.text);
  }

  private write(c: C, text: string): void {
    if (c.stalled || c.ws.readyState !== c.ws.OPEN) return;
    c.ws.send(text);
    this.framesSent++;
    this.o.onData?.(c);
    if (c.ws.bufferedAmount > this.maxBuffered) this.maxBuffered = c.ws.bufferedAmount;
  }
}

const GENERIC: readonly FrameFaultKind[] = ['malformed', 'truncated', 'reorder', 'duplicate', 'sequence_gap'];
