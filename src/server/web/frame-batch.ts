/**
 * Collects live messages and applies them once per animation frame: at 2k trades/s that is ~35
 * trades folded per frame into one chart update and one tape insertion, instead of 2k layouts.
 */
export class FrameBatch<T> {
  private queue: T[] = [];
  private scheduled = false;

  constructor(
    private readonly apply: (items: T[]) => void,
    private readonly raf: (cb: () => void) => unknown = (cb) => requestAnimationFrame(cb),
  ) {}

  push(item: T): void {
    this.queue.push(item);
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
    const items = this.queue;
    this.queue = [];
    if (items.length) this.apply(items);
  }
}
