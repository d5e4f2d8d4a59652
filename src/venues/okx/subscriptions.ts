/**
 * OKX subscribe / unsubscribe requests on one connection: OKX's limits kept (480 such requests
 * per connection per hour, a request under 64 KB) and its replies matched to what was asked.
 * OKX's errors do not always name the subscription (64003 "Your trading fee tier doesn't meet the
 * requirement to access this channel"): once every arg of a request has a reply, or
 * REPLY_SETTLE_MS after such an error, the args of the request still without an ack are the
 * refused ones. No socket here: `send` is the connection's.
 */
import type { OkxArg } from './wire.ts';

/** OKX: 'subscribe'/'unsubscribe'/'login' requests per connection per hour. We keep a margin. */
export const OKX_OPS_PER_HOUR = 480;
const OPS_MARGIN = 20;
/** Subscription args per request (OKX caps a request at 64 KB; 100 args is ~5 KB). */
const ARGS_PER_REQUEST = 100;
/** How long a subscribe request may leave args without any reply after an error that names none. */
const REPLY_SETTLE_MS = 1_000;

/** `books:BTC-USDT-SWAP`, `liquidation-orders:SWAP`: a subscription's stream name. */
export function streamKey(arg: OkxArg): string {
  return `${arg.channel}:${arg.instId ?? arg.instType}`;
}

export interface OkxSubscriptionsHost {
  send(text: string): void;
  now(): number;
  /** A settled request had an error naming no subscription: these of its streams had no ack. */
  refused(keys: readonly string[], error: string): void;
}

interface Pending {
  readonly keys: string[];
  replies: number;
  error: string | undefined;
  timer: NodeJS.Timeout | undefined;
}

export class OkxSubscriptions {
  private opTimes: number[] = [];
  private opId = 0;
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly host: OkxSubscriptionsHost) {}

  /** A new connection: a fresh hourly budget, nothing pending. */
  reset(): void {
    this.opTimes = [];
    this.stop();
  }

  stop(): void {
    for (const r of this.pending.values()) clearTimeout(r.timer);
    this.pending.clear();
  }

  /** Sends one request per 100 args; false when the connection's hourly budget is spent. */
  request(op: 'subscribe' | 'unsubscribe', args: readonly OkxArg[]): boolean {
    const now = this.host.now();
    this.opTimes = this.opTimes.filter((t) => now - t < 3_600_000);
    const requests = Math.ceil(args.length / ARGS_PER_REQUEST);
    if (this.opTimes.length + requests > OKX_OPS_PER_HOUR - OPS_MARGIN) return false;
    for (let i = 0; i < args.length; i += ARGS_PER_REQUEST) {
      this.opTimes.push(now);
      const id = String(++this.opId);
      const chunk = args.slice(i, i + ARGS_PER_REQUEST);
      if (op === 'subscribe') this.pending.set(id, { keys: chunk.map(streamKey), replies: 0, error: undefined, timer: undefined });
      this.host.send(JSON.stringify({ id, op, args: chunk }));
    }
    return true;
  }

  /** Whether `id` is a subscribe request of this connection still waiting for replies. */
  isPending(id: string | undefined): boolean {
    return id !== undefined && this.pending.has(id);
  }

  /** A reply to subscribe request `id`: an ack or an error naming its arg, or (`unnamedError`) one naming none. */
  replied(id: string | undefined, unnamedError?: string): void {
    const r = id === undefined ? undefined : this.pending.get(id);
    if (!r) return;
    r.replies++;
    if (unnamedError !== undefined) {
      r.error = unnamedError;
      r.timer ??= setTimeout(() => this.settle(id!), REPLY_SETTLE_MS);
    }
    if (r.replies >= r.keys.length) this.settle(id!);
  }

  private settle(id: string): void {
    const r = this.pending.get(id);
    if (!r) return;
    clearTimeout(r.timer);
    this.pending.delete(id);
    if (r.error !== undefined) this.host.refused(r.keys, r.error);
  }
}
