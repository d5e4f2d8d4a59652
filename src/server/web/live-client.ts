/**
 * The websocket to `/ws`: reconnects with exponential backoff (capped, with jitter so many tabs
 * do not hammer a restarted server together) and hands each parsed message to the sink. The
 * token is not handled here: the browser sends the server's cookie with the upgrade.
 */
import type { LiveMessage } from '../api.ts';

export type LiveStatus = 'connecting' | 'open' | 'closed';

export interface LiveClientOptions {
  readonly url: string;
  readonly onMessage: (m: LiveMessage) => void;
  readonly onStatus?: (s: LiveStatus, detail: string) => void;
  readonly minDelayMs?: number;
  readonly maxDelayMs?: number;
}

/** The wait before reconnect attempt `attempt` (0-based): doubling from `min` up to `max`, +-20%. */
export function backoffDelay(attempt: number, min: number, max: number, rand: () => number = Math.random): number {
  const base = Math.min(max, min * 2 ** Math.min(attempt, 30));
  return Math.round(base * (0.8 + 0.4 * rand()));
}

export class LiveClient {
  private ws: WebSocket | null = null;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;

  constructor(private readonly opts: LiveClientOptions) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.ws?.close(1000);
    this.ws = null;
  }

  private connect(): void {
    this.opts.onStatus?.('connecting', this.attempt ? `retry ${this.attempt}` : '');
    const ws = new WebSocket(this.opts.url);
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.opts.onStatus?.('open', '');
    };
    ws.onmessage = (ev) => {
      let msg: LiveMessage;
      try {
        msg = JSON.parse(typeof ev.data === 'string' ? ev.data : '') as LiveMessage;
      } catch {
        this.opts.onStatus?.('open', 'a message was not JSON');
        return;
      }
      this.opts.onMessage(msg);
    };
    ws.onclose = (ev) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      const delay = backoffDelay(this.attempt++, this.opts.minDelayMs ?? 500, this.opts.maxDelayMs ?? 15_000);
      const why = ev.code === 1013 ? 'server dropped a slow client' : ev.code === 1008 || ev.code === 4401 ? 'not authorized' : `closed (${ev.code})`;
      this.opts.onStatus?.('closed', `${why}; reconnecting in ${(delay / 1000).toFixed(1)} s`);
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }
}
