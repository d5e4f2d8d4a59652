/**
 * The team's real market-data fixtures, `../shared/data/` beside the repository (see its
 * SOURCES.md). Tests that need it skip with a clear message when it is absent.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const SHARED_DATA = fileURLToPath(new URL('../../../shared/data/', import.meta.url));
export const HAVE_SHARED_DATA = existsSync(SHARED_DATA);
export const NO_SHARED_DATA = HAVE_SHARED_DATA ? false : `skipped: ${SHARED_DATA} is absent (the team's shared real-data folder beside the repository)`;
