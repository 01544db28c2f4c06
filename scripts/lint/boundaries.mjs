// ESLint rule `mailtrail/boundaries`: every relative import of a file under src/ must be allowed
// by the folder map (scripts/lint/layers.mjs, which is docs/ARCHITECTURE.md as data).
import path from 'node:path';
import { violation } from './layers.mjs';

const srcRoot = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../src');

/** `src`-relative path of `file`, or undefined when it lies outside src/. */
function underSrc(file) {
  const rel = path.relative(srcRoot, file);
  if (rel.startsWith('..') || path.isAbsolute(rel)) return undefined;
  return rel.split(path.sep).join('/');
}

const rule = {
  meta: {
    type: 'problem',
    docs: { description: 'Imports follow the folder map of docs/ARCHITECTURE.md' },
    schema: [],
    messages: { layer: '{{why}}' },
  },
  create(context) {
    const from = underSrc(context.filename);
    if (!from) return {};
    function check(node) {
      const spec = node.source?.value;
      if (typeof spec !== 'string' || !spec.startsWith('.')) return;
      const target = underSrc(path.resolve(path.dirname(context.filename), spec).replace(/\.js$/, '.ts'));
      if (!target) return;
      const why = violation(from, target);
      if (why) context.report({ node: node.source, messageId: 'layer', data: { why } });
    }
    return { ImportDeclaration: check, ExportNamedDeclaration: check, ExportAllDeclaration: check, ImportExpression: check };
  },
};

export default { meta: { name: 'mailtrail' }, rules: { boundaries: rule } };
