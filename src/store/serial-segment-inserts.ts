/**
 * What both routes of a segmented bulk load share (bulk-load.ts's CSV segments of a zip's entry,
 * parquet-segments.ts's Parquet segments of the scanner's columns): segment files in
 * `<home>/tmp`, each inserted by one statement as soon as it is complete, one statement at a time
 * (one connection), so at most two segments exist at once: the one DuckDB reads and the one being
 * written. A segment's file is removed once its statement ended; after DuckDB's first error the
 * later segments are removed unloaded, and that error is what the load resolves with.
 */
import { rmSync } from 'node:fs';
import type { Insert } from './bulk-load.ts';
import { ownedTmpPath } from './tmp-files.ts';

export class SerialSegmentInserts {
  /** Segment files made so far. */
  files = 0;
  /** Segment files not removed yet (removeAll's list). */
  private readonly live = new Set<string>();
  /** The statement in flight: settles with its error or undefined. */
  private running: Promise<unknown> = Promise.resolve(undefined);
  /** DuckDB's first error; no segment is loaded after it. */
  failed: unknown;

  constructor(
    private readonly tmpDir: string,
    private readonly venue: string,
    private readonly symbol: string,
  ) {}

  /** The path of the next segment file (`segment-<n>.<ext>`, owned by this process). */
  newFile(ext: string): string {
    const file = ownedTmpPath(this.tmpDir, `segment-${this.files++}.${ext}`);
    this.live.add(file);
    return file;
  }

  /**
   * Once the statement in flight ended, insert the complete segment `file` with `sql` ($1 venue,
   * $2 symbol, $3 the file; the import id is appended by `insert`); after an error, only remove it.
   */
  async load(insert: Insert, sql: string, file: string): Promise<void> {
    this.failed ??= await this.running;
    if (this.failed !== undefined) {
      this.drop(file);
      return;
    }
    this.running = insert(sql, [this.venue, this.symbol, file]).then(
      () => this.drop(file),
      (e: unknown) => (this.drop(file), e),
    );
  }

  /** Resolves when DuckDB finished every segment handed to load: with its first error, or undefined. */
  async finish(): Promise<unknown> {
    await this.running;
    return this.failed;
  }

  /** Wait for the statement in flight (before an error is thrown: the transaction must be idle). */
  async settle(): Promise<void> {
    await this.running;
  }

  /** Remove every segment file still on disk (the caller closes the one it is writing first). */
  removeAll(): void {
    for (const f of this.live) rmSync(f, { force: true });
    this.live.clear();
  }

  private drop(file: string): undefined {
    rmSync(file, { force: true });
    this.live.delete(file);
    return undefined;
  }
}
