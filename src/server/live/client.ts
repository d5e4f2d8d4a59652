/**
 * One websocket client and its bound. Its queue is what the server holds for it in memory: the
 * socket's unsent bytes (`bufferedAmount`: ws's sender queue and the socket's write buffer). A
 * client that reads fast enough gets every message. Past the bound, messages are not queued
 * but counted as missed; once the client has drained below half the bound it receives
 * `{type:'dropped', missed}` and from then on down-sampled batches (each venue's trades of a
 * poll folded into one print per side) until its queue empties; a client still past the bound
 * after `stallMs` is closed with 1013 (try again later). The tail never waits for a client.
 */
import type { WebSocket } from 'ws';
import type { Venue } from '../../core/events.ts';
import type { LiveMessage } from '../api.ts';
import type { TailBatch, TradesMessage } from './store-tail.ts';

export const DEFAULT_CLIENT_QUEUE_BYTES = 4 << 20;
export const DEFAULT_STALL_MS = 10_000;
/** Close code for a client that stays behind: RFC 6455 1013 "Try Again Later". */
export const CLOSE_BEHIND = 1013;

export interface ClientBound {
  readonly queueBytes: number;
  readonly stallMs: number;
}

export class LiveClient {
  private missed = 0;
  private downsampled = false;
  private behindSinceMs: number | undefined;
  /** The most bytes ever held for this client (tests and the docs' queue policy). */
  peakQueued = 0;
  closedBehind = false;

  constructor(
    readonly socket: WebSocket,
    private readonly bound: ClientBound,
  ) {}

  get queued(): number {
    return this.socket.bufferedAmount;
  }

  /** Send a message outside the bound (the hello). */
  sendNow(msg: LiveMessage): void {
    this.socket.send(JSON.stringify(msg));
  }

  /** Hand one poll's messages to the client under its bound; never waits. */
  deliver(batch: TailBatch, extra: readonly LiveMessage[], nowMs: number): void {
    if (this.closedBehind || this.socket.readyState !== this.socket.OPEN) return;
    const count = (batch.trades ? 1 : 0) + (batch.liquidations ? 1 : 0) + batch.marketState.length + (batch.book?.length ?? 0) + (batch.events?.length ?? 0) + extra.length;
    if (count === 0) return;
    const queued = this.queued;
    if (queued > this.bound.queueBytes || (this.missed > 0 && queued > this.bound.queueBytes / 2)) {
      this.missed += count;
      this.behindSinceMs ??= nowMs;
      if (nowMs - this.behindSinceMs >= this.bound.stallMs) {
        this.closedBehind = true;
        this.socket.close(CLOSE_BEHIND, 'client too slow: behind the live stream');
      }
      return;
    }
    this.behindSinceMs = undefined;
    if (this.missed > 0) {
      this.send({ type: 'dropped', missed: this.missed });
      this.missed = 0;
      this.downsampled = true;
    } else if (queued === 0) {
      this.downsampled = false;
    }
    if (batch.trades) this.send(this.downsampled ? foldTrades(batch.trades) : batch.trades);
    if (batch.liquidations) this.send(batch.liquidations);
    for (const m of batch.marketState) this.send(m);
    for (const m of batch.book ?? []) this.send(m);
    for (const event of batch.events ?? []) this.send({ type: 'event', event });
    for (const m of extra) this.send(m);
  }

  private send(msg: LiveMessage): void {
    this.socket.send(JSON.stringify(msg));
    const q = this.queued;
    if (q > this.peakQueued) this.peakQueued = q;
  }
}

/** Each venue's trades of one poll as one print per side: the summed size at its volume-weighted price, stamped at the last trade. */
export function foldTrades(m: TradesMessage): TradesMessage {
  const acc = new Map<string, { t: number; pq: number; q: number; side: 1 | -1; venue: Venue }>();
  for (let i = 0; i < m.t.length; i++) {
    const k = `${m.venue[i]}${m.side[i]}`;
    const a = acc.get(k) ?? { t: 0, pq: 0, q: 0, side: m.side[i], venue: m.venue[i] };
    a.t = m.t[i];
    a.pq += m.price[i] * m.qty[i];
    a.q += m.qty[i];
    acc.set(k, a);
  }
  const rows = [...acc.values()].sort((a, b) => a.t - b.t);
  return {
    type: 'trades',
    t: rows.map((r) => r.t),
    price: rows.map((r) => (r.q > 0 ? r.pq / r.q : 0)),
    qty: rows.map((r) => r.q),
    side: rows.map((r) => r.side),
    venue: rows.map((r) => r.venue),
  };
}
