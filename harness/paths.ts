/** Where things live, relative to the package root (not the caller's cwd). */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const projectRoot = join(dirname(fileURLToPath(import.meta.url)), '..');
export const resultsDir = join(projectRoot, 'results');
export const defaultDbPath = join(resultsDir, 'netharness.db');
export const defaultSimWorkdir = join(resultsDir, 'sim');
