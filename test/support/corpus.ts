import { fileURLToPath } from 'node:url';

/** The third-party mail corpora the tests read (see test/fixtures/corpus/README.md), with a trailing slash. */
export const CORPUS_DIR = fileURLToPath(new URL('../fixtures/corpus/', import.meta.url));
