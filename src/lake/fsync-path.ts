/**
 * Flush a file or a folder to disk. The lake's writers rename files into place: the file must be
 * durable before the rename, and the folder after it, or a crash can leave a name with no data.
 */
import { closeSync, fsyncSync, openSync } from 'node:fs';

export function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
