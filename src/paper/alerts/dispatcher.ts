/**
 * Alerts to channels without ever making the caller wait: `dispatch` only enqueues (synchronous,
 * O(1)); each channel drains its own bounded queue, one message at a time, in the background.
 * When a channel is slower than the alerts (a hanging webhook, a 429 storm), its queue keeps the
 * newest `capacity` alerts and counts the ones dropped; the feed, the recorder and the engine
 * never wait for a network.
 */
import type { Alert } from './alert.ts';
import type { AlertChannel, ChannelName } from './channel.ts';

/** What a status line shows of one channel; `lastError` is redacted. */
export interface ChannelStatus {
  readonly channel: ChannelName;
  readonly sent: number;
  readonly failed: number;
  readonly dropped: number;
  readonly queued: number;
  readonly lastError: string | null;
  /** False once the last alert it tried failed (after its retries), true again after a success. */
  readonly healthy: boolean;
}

export const DEFAULT_QUEUE_CAPACITY = 100;

class ChannelQueue {
  private readonly items: Alert[] = [];
  private sent = 0;
  private failed = 0;
  private dropped = 0;
  private lastError: string | null = null;
  private healthy = true;
  private draining: Promise<void> | undefined;

  constructor(
    readonly channel: AlertChannel,
    private readonly capacity: number,
    private readonly signal: AbortSignal,
    private readonly onFailure: (channel: ChannelName, error: string) => void,
  ) {}

  push(a: Alert): void {
    if (this.items.length >= this.capacity) {
      this.items.shift();
      this.dropped++;
    }
    this.items.push(a);
    this.draining ??= this.drain().finally(() => (this.draining = undefined));
  }

  /** Resolves once the queue is empty and nothing is in flight. */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  status(): ChannelStatus {
    return { channel: this.channel.name, sent: this.sent, failed: this.failed, dropped: this.dropped, queued: this.items.length, lastError: this.lastError, healthy: this.healthy };
  }

  private async drain(): Promise<void> {
    // Start after the caller's turn: dispatch() must not even run the channel's synchronous part.
    await Promise.resolve();
    for (let a = this.items.shift(); a !== undefined; a = this.items.shift()) {
      if (this.signal.aborted) {
        this.dropped += 1 + this.items.length;
        this.items.length = 0;
        break;
      }
      const r = await this.channel.send(a, this.signal);
      if (r.ok) {
        this.sent++;
        this.healthy = true;
      } else {
        this.failed++;
        this.healthy = false;
        this.lastError = r.error ?? 'failed';
        this.onFailure(this.channel.name, this.lastError);
      }
    }
  }
}

export class AlertDispatcher {
  private readonly queues: ChannelQueue[];
  private readonly stopper = new AbortController();

  constructor(
    channels: readonly AlertChannel[],
    opts: { capacity?: number; onFailure?: (channel: ChannelName, error: string) => void } = {},
  ) {
    this.queues = channels.map((c) => new ChannelQueue(c, opts.capacity ?? DEFAULT_QUEUE_CAPACITY, this.stopper.signal, opts.onFailure ?? (() => {})));
  }

  /** Enqueue on every channel; returns at once. */
  dispatch(a: Alert): void {
    for (const q of this.queues) q.push(a);
  }

  status(): ChannelStatus[] {
    return this.queues.map((q) => q.status());
  }

  /** Wait for the queues to drain, at most `graceMs`; then abort what is still in flight (counted as failed or dropped). */
  async close(graceMs = 5000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const drained = Promise.all(this.queues.map((q) => q.idle()));
    await Promise.race([drained, new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    this.stopper.abort();
    await drained;
  }
}

/** `webhook 3 sent; telegram FAILING 2 failed, 1 dropped (last: HTTP 401 Unauthorized)`, or '' without channels. */
export function alertStatusText(statuses: readonly ChannelStatus[]): string {
  const parts = statuses.map((s) => {
    const counts = [`${s.sent} sent`, s.failed ? `${s.failed} failed` : '', s.dropped ? `${s.dropped} dropped` : '', s.queued ? `${s.queued} queued` : ''].filter(Boolean).join(', ');
    return `${s.channel} ${s.healthy ? '' : 'FAILING '}${counts}${!s.healthy && s.lastError ? ` (last: ${s.lastError})` : ''}`;
  });
  return parts.join('; ');
}
