/**
 * One WebSocket that stays up: connect, let the venue subscribe, keep its heartbeat, notice a
 * silent stall, and reconnect with jittered exponential backoff until stopped. The venue clients
 * (src/venues/<venue>/live.ts) own the protocol; this owns the connection.
 *
 * Heartbeats differ per venue: Binance pings at the protocol level and `ws` answers with a pong by
 * itself; OKX wants the text `ping` (answered `pong`) when idle; Bybit wants `{"op":"ping"}`.
 * `heartbeat` sends the venue's payload every `everyMs`.
 */
import WebSocket from 'ws';
import type { ConnectPacer } from './connect-pacer.ts';
import type { BackoffOptions } from './types.ts';

export interface SocketOptions {
  /** The URL to open, asked at every (re)connect (a combined-stream URL may change with the subscriptions). */
  readonly url: () => string;
  /** Called on each open (subscribe here). */
  readonly onOpen: (reconnect: boolean) => void;
  /** Each text frame, with its local receive time (ms and ns). */
  readonly onMessage: (text: string, localMs: number, localNs: bigint) => void;
  /** The connection is gone (reconnect scheduled unless stopped). */
  readonly onDown?: (reason: string) => void;
  readonly heartbeat?: { readonly everyMs: number; readonly payload: string };
  /** No frame (of any kind, pongs included) for this long: the socket is dropped and reopened. */
  readonly staleAfterMs: number;
  readonly backoff?: BackoffOptions;
  /** Wall clock for the frames' local time (tests); default Date.now. Stall detection uses a monotonic clock. */
  readonly now?: () => number;
  /** Uniform [0, 1) for the jitter; default Math.random (tests pass a seeded one). */
  readonly random?: () => number;
  /**
   * Connection slots shared with the venue's other sockets (connect-pacer.ts): every open, first
   * and reconnects, waits for its slot after its own backoff. Default none (this socket alone).
   */
  readonly pacer?: ConnectPacer;
}

const HR0 = process.hrtime.bigint();
const EPOCH0_NS = BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;

/**
 * Local wall-clock time in epoch ns, monotonic within the process (hrtime from a wall-clock
 * origin): raw captures' `<local_ns>` must be epoch time, not hrtime's arbitrary zero.
 */
export function epochNs(): bigint {
  return EPOCH0_NS + (process.hrtime.bigint() - HR0);
}

/** The delay before reconnect attempt `attempt` (0-based): min(max, initial x 2^attempt), jittered down by up to `jitter`. */
export function backoffDelay(attempt: number, o: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = o.initialMs ?? 500;
  const max = o.maxMs ?? 30_000;
  const jitter = o.jitter ?? 0.5;
  const d = Math.min(max, initial * 2 ** Math.min(attempt, 30));
  return d * (1 - jitter * random());
}

export class ReconnectingSocket {
  private ws: WebSocket | undefined;
  private stopped = false;
  private attempt = 0;
  private opens = 0;
  /** When the last frame of any kind arrived, on a monotonic clock (a wall clock stepped back must not hide a stall). */
  private lastFrameAt = 0;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private staleTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private firstOpen: { resolve: () => void; reject: (e: Error) => void } | undefined;

  constructor(private readonly o: SocketOptions) {}

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  get connected(): boolean {
    return this.ws?.readyState === WebSocket.OPEN;
  }

  /** Resolves when the first connection opens; rejects if stopped before that. Reconnects forever after. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.firstOpen = { resolve, reject };
      this.open();
    });
  }

  send(text: string): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  /** Drop the connection now and reconnect (after the backoff), e.g. on a sequence gap the venue cannot repair in-band. */
  reconnect(reason: string): void {
    const ws = this.ws;
    if (!ws) return;
    this.down(reason);
    ws.terminate();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.clearTimers();
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const ws = this.ws;
    this.ws = undefined;
    this.firstOpen?.reject(new Error('stopped before the first connection opened'));
    this.firstOpen = undefined;
    if (!ws || ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((done) => {
      ws.once('close', () => done());
      ws.terminate();
    });
  }

  /** Connect once the shared pacer (if any) gives a slot. */
  private open(): void {
    if (this.stopped) return;
    const wait = this.o.pacer?.reserve() ?? 0;
    if (wait > 0) this.retryTimer = setTimeout(() => this.connect(), wait);
    else this.connect();
  }

  private connect(): void {
    if (this.stopped) return;
    const ws = new WebSocket(this.o.url(), { perMessageDeflate: false, handshakeTimeout: 10_000 });
    this.ws = ws;
    let wentDown = false;
    const fail = (reason: string) => {
      if (wentDown || this.ws !== ws) return;
      wentDown = true;
      this.down(reason);
    };
    ws.on('open', () => {
      if (this.ws !== ws) return;
      this.lastFrameAt = performance.now();
      const reconnect = this.opens++ > 0;
      this.armTimers(ws);
      this.o.onOpen(reconnect);
      this.firstOpen?.resolve();
      this.firstOpen = undefined;
    });
    ws.on('message', (data, isBinary) => {
      if (this.ws !== ws) return;
      const localNs = epochNs();
      this.lastFrameAt = performance.now();
      // A frame proves the connection: the next failure starts the backoff from the beginning.
      this.attempt = 0;
      const text = isBinary ? Buffer.from(data as Buffer).toString('utf8') : data.toString();
      this.o.onMessage(text, this.now(), localNs);
    });
    ws.on('pong', () => {
      this.lastFrameAt = performance.now();
    });
    ws.on('ping', () => {
      this.lastFrameAt = performance.now();
    });
    ws.on('error', (e) => fail(`socket error: ${e.message}`));
    ws.on('close', (code, reason) => fail(`closed (${code}${reason.length ? ` ${reason.toString()}` : ''})`));
  }

  private down(reason: string): void {
    this.clearTimers();
    const ws = this.ws;
    this.ws = undefined;
    if (ws && ws.readyState !== WebSocket.CLOSED) ws.terminate();
    this.o.onDown?.(reason);
    if (this.stopped) return;
    const delay = backoffDelay(this.attempt++, this.o.backoff, this.o.random);
    this.retryTimer = setTimeout(() => this.open(), delay);
  }

  private armTimers(ws: WebSocket): void {
    this.clearTimers();
    const hb = this.o.heartbeat;
    if (hb) this.heartbeatTimer = setInterval(() => ws.readyState === WebSocket.OPEN && ws.send(hb.payload), hb.everyMs);
    const stale = this.o.staleAfterMs;
    this.staleTimer = setInterval(() => {
      if (this.ws === ws && performance.now() - this.lastFrameAt > stale) this.reconnect(`no frame for ${stale} ms (silent stall)`);
    }, Math.max(10, Math.floor(stale / 4)));
  }

  private clearTimers(): void {
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    if (this.staleTimer) clearInterval(this.staleTimer);
    this.heartbeatTimer = undefined;
    this.staleTimer = undefined;
  }
}
