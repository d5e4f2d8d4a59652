/** Where tests find the checkout: its root, the CLI they run, and the samples it ships. */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (with a trailing slash). */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** The `orderflow` CLI as a user runs it. */
export const BIN = join(ROOT, 'bin/orderflow');
/** `samples/`: the small real files the README uses. */
export const SAMPLES = join(ROOT, 'samples');
