/**
 * A bounded set of recent keys, for the duplicate detection every connector needs where the wire
 * has no id to order by (liquidations on all three venues, Bybit trade UUIDs): a frame or item
 * seen again within the last `capacity` is a duplicate.
 */

/** The last `capacity` keys seen (trade ids, frames): a bounded set for duplicate detection. */
export class RecentKeys {
  private readonly set = new Set<string>();
  private readonly ring: (string | undefined)[];
  private at = 0;

  constructor(capacity: number) {
    this.ring = new Array<string | undefined>(Math.max(1, capacity));
  }

  has(key: string): boolean {
    return this.set.has(key);
  }

  /** Adds `key`; false when it was already there (a duplicate). The oldest key is forgotten when full. */
  add(key: string): boolean {
    if (this.set.has(key)) return false;
    const old = this.ring[this.at];
    if (old !== undefined) this.set.delete(old);
    this.ring[this.at] = key;
    this.at = (this.at + 1) % this.ring.length;
    this.set.add(key);
    return true;
  }
}
