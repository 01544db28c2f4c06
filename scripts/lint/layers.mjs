// The folder map of docs/ARCHITECTURE.md as data: which part of src/ a file belongs to, and which
// parts it may import. scripts/lint/boundaries.mjs (an ESLint rule) checks every import against it;
// test/lint/boundaries.test.ts proves it fails on a violation. Change the two together.

/** Files at the top of src/ that everything may use: errors, time, ids, logging, configuration. */
const KERNEL_FILES = new Set(['errors', 'clock', 'ids', 'base32', 'log', 'config', 'version']);
/** The program's entry points, which wire every feature together and may import anything. */
const APP_FILES = new Set(['cli', 'server', 'modules']);

/** Layers below the features, and what each may import (a feature may import all of them). */
export const LAYERS = {
  // The tracking cookie, bounce and auto-reply classification, reply trimming: pure mail logic.
  tracking: ['tracking', 'mail', 'kernel'],
  kernel: ['kernel'],
  // Rules that know nothing of HTTP, SMTP or SQL: nothing of ours but errors, clock and ids.
  domain: ['domain', 'kernel:errors', 'kernel:clock', 'kernel:ids'],
  store: ['store', 'domain', 'kernel'],
  // Protocol adapters: POP3, IMAP, MIME, the Microsoft Graph client.
  mail: ['mail', 'kernel'],
  // Module, Worker, AppContext, the wake loop, the process's metrics: imports no feature.
  core: ['core', 'store', 'domain', 'kernel'],
  // Fastify plumbing: app, auth, validation, errors, OpenAPI, shared schemas.
  http: ['http', 'core', 'store', 'domain', 'kernel'],
};
/** Features may import these layers; another feature only through its index.ts. */
export const FEATURE_MAY_IMPORT = ['kernel', 'domain', 'store', 'mail', 'tracking', 'core', 'http'];

/**
 * Where a file of src/ sits: `{ layer, name }` where layer is a key of LAYERS, 'feature' or
 * 'app', and name is the feature (its folder, `mailboxes/oauth` for the nested ones) or the
 * kernel file. `rel` is the path below src/ with forward slashes, e.g. `inbound/poller.ts`.
 */
export function partOf(rel) {
  const parts = rel.split('/');
  const base = parts[0].replace(/\.(ts|tsx|js)$/, '');
  if (parts.length === 1) {
    if (KERNEL_FILES.has(base)) return { layer: 'kernel', name: base };
    if (APP_FILES.has(base)) return { layer: 'app', name: base };
    return { layer: 'feature', name: base };
  }
  if (base === 'crypto') return { layer: 'kernel', name: 'crypto' };
  if (base in LAYERS) return { layer: base, name: base };
  if (base === 'mailboxes' && parts.length > 2) return { layer: 'feature', name: `mailboxes/${parts[1]}` };
  return { layer: 'feature', name: base };
}

function layerAllows(entries, to) {
  return entries.some((e) => e === to.layer || e === `${to.layer}:${to.name}`);
}

/**
 * Why `fromRel` may not import `toRel` (both below src/), or undefined when it may.
 * Unit tests (`*.test.ts`) may reach anything: they test internals on purpose.
 */
export function violation(fromRel, toRel) {
  if (/\.test\.tsx?$/.test(fromRel)) return undefined;
  const from = partOf(fromRel);
  const to = partOf(toRel);
  if (from.layer === 'app') return undefined;
  if (from.layer === 'feature') {
    if (to.layer === 'feature') {
      if (to.name === from.name) return undefined;
      if (toRel === `${to.name}/index.ts`) return undefined;
      return `${from.name} may use the feature ${to.name} only through ${to.name}/index.ts, not ${toRel}`;
    }
    if (FEATURE_MAY_IMPORT.includes(to.layer)) return undefined;
    return `a feature (${from.name}) may not import ${to.layer === 'app' ? 'the program start-up' : to.layer} (${toRel})`;
  }
  if (layerAllows(LAYERS[from.layer], to)) return undefined;
  const what = to.layer === 'feature' ? `the feature ${to.name}` : to.layer === 'app' ? 'the program start-up' : `${to.layer}`;
  return `${from.layer}/ may not import ${what} (${toRel}): docs/ARCHITECTURE.md, folder map`;
}
