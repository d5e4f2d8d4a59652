/**
 * Connection requests of several sockets to one venue, paced together. A venue limits new
 * connections per IP (OKX: "Connection limit: 3 requests per second (based on IP)"), and each
 * socket's own jittered backoff does not keep that when many sockets drop at once (a server
 * restart drops every shard): their first retries all fall within a few hundred ms. Each socket
 * takes a slot here before it opens (ReconnectingSocket `pacer`); slots are `spacingMs` apart on
 * a monotonic clock, so however many sockets retry at once, attempts stay `spacingMs` apart.
 */
export class ConnectPacer {
  /** When the next free slot starts, on `clock`. */
  private next = -Infinity;

  constructor(
    readonly spacingMs: number,
    private readonly clock: () => number = () => performance.now(),
  ) {
    if (!(spacingMs >= 0)) throw new RangeError(`ConnectPacer: spacingMs must be >= 0, got ${spacingMs}`);
  }

  /** Takes the next slot: how long to wait before opening (0 = now). */
  reserve(): number {
    const now = this.clock();
    const at = Math.max(now, this.next);
    this.next = at + this.spacingMs;
    return at - now;
  }
}
