/**
 * Collects live messages and applies them once per animation frame: at 2k trades/s that is ~35
 * trades folded per frame into one chart update and one tape insertion, instead of 2k layouts.
 * A background tab gets no frames; past `maxPending` items the queue is dropped and `overflow`
 * called (the app reloads from the store) rather than growing without bound.
 */
export class FrameBatch<T> {
  private queue: T[] = [];
  private scheduled = false;

  private overflowed = false;

  constructor(
    private readonly apply: (items: T[]) => void,
    private readonly raf: (cb: () => void) => unknown = (cb) => requestAnimationFrame(cb),
    private readonly maxPending = Infinity,
    private readonly overflow: () => void = () => {},
  ) {}

  push(item: T): void {
    if (this.overflowed) return;
    if (this.queue.length >= this.maxPending) {
      // Dropped until the next frame runs: then the owner hears once, and reloads.
      this.queue = [];
      this.overflowed = true;
    } else this.queue.push(item);
    if (!this.scheduled) {
      this.scheduled = true;
      this.raf(() => this.run());
    }
  }

  /** Items waiting for the next frame. */
  get pending(): number {
    return this.queue.length;
  }

  private run(): void {
    this.scheduled = false;
    if (this.overflowed) {
      this.overflowed = false;
      this.overflow();
      return;
    }
    const items = this.queue;
    this.queue = [];
    if (items.length) this.apply(items);
  }
}
