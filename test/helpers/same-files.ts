/** Two folders compared file by file: the lake written by two routes must be the same bytes. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Every file under dir, relative path -> bytes. */
export function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.set(relative(dir, join(e.parentPath, e.name)), readFileSync(join(e.parentPath, e.name)));
  }
  return out;
}

export function assertSameFiles(a: string, b: string): void {
  const ta = tree(a);
  const tb = tree(b);
  assert.deepEqual([...tb.keys()].sort(), [...ta.keys()].sort());
  for (const [name, bytes] of ta) assert.ok(bytes.equals(tb.get(name)!), `${name} differs between the store and the lake`);
}
