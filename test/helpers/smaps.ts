/**
 * Resident memory by who mapped it, from /proc/self/smaps (Linux; undefined elsewhere), for the
 * memory tests' diagnostics (docs/PAPER.md, "Memory over two weeks"). The owners are told apart by
 * where the mappings lie, as measured on Node 20 with DuckDB 1.5 (libduckdb.so bundles jemalloc):
 *
 * - `v8`: anonymous mappings below 0x7000_0000_0000: V8 places its heap pages (and code) at random
 *   hints there;
 * - `glibc`: `[heap]` and the anonymous mappings aligned on 64 MB of at most 64 MB (glibc's thread
 *   arenas): Node's own malloc (ArrayBuffers, libuv, the WebSocket buffers);
 * - `jemalloc`: the other anonymous mappings (near the shared libraries): DuckDB's jemalloc extents,
 *   plus the threads' stacks (fixed). glibc maps nothing on its own here (mallinfo2's `hblkhd` was 0);
 * - `files`: file-backed pages (code of node and libduckdb.so as it is paged in).
 *
 * Numbers only, MB: no string of the smaps text is kept (a regex match would retain all of it).
 */
import { readFileSync } from 'node:fs';

export interface MappedRss {
  readonly v8: number;
  readonly glibc: number;
  readonly jemalloc: number;
  readonly files: number;
}

const V8_BELOW = 0x7000_0000_0000;
const ARENA = 64 * 2 ** 20;

export function mappedRss(): MappedRss | undefined {
  let text: string;
  try {
    text = readFileSync('/proc/self/smaps', 'utf8');
  } catch {
    return undefined;
  }
  const kb = { v8: 0, glibc: 0, jemalloc: 0, files: 0 };
  let owner: keyof typeof kb = 'files';
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(\S*)/.exec(line);
    if (head) {
      const start = parseInt(head[1], 16);
      const size = parseInt(head[2], 16) - start;
      const path = head[3];
      if (path === '[heap]') owner = 'glibc';
      else if (path !== '') owner = 'files';
      else if (start < V8_BELOW) owner = 'v8';
      else if (start % ARENA === 0 && size <= ARENA) owner = 'glibc';
      else owner = 'jemalloc';
      continue;
    }
    if (line.startsWith('Rss:')) kb[owner] += Number(/(\d+)/.exec(line)![1]);
  }
  return { v8: kb.v8 / 1024, glibc: kb.glibc / 1024, jemalloc: kb.jemalloc / 1024, files: kb.files / 1024 };
}
