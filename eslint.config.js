// `npm run lint` = ESLint (this file) + Prettier's check + the import boundaries below.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';
import mailtrail from './scripts/lint/boundaries.mjs';

export default tseslint.config(
  { ignores: ['dist/', 'web/dist/', 'node_modules/', 'test/fixtures/', 'web/src/api/schema.ts', 'coverage/', 'scripts/real-clients/**/user.js'] },
  { linterOptions: { reportUnusedDisableDirectives: 'error' } },
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      // Mail, names and headers are sanitized by matching control characters on purpose.
      'no-control-regex': 'off',
    },
  },
  // TypeScript checks names itself (and knows the DOM and Node types); no-undef would only misfire.
  { files: ['**/*.{ts,tsx,mts}'], rules: { 'no-undef': 'off' } },
  {
    files: ['web/src/**/*.{ts,tsx}'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    // The rules of hooks; the React Compiler's stricter rules (refs in render, setState in
    // effects) are not on yet: the pages they flag are being split into sections (issue 14).
    rules: { 'react-hooks/rules-of-hooks': 'error', 'react-hooks/exhaustive-deps': 'error' },
  },
  // The folder map of docs/ARCHITECTURE.md (scripts/lint/layers.mjs): a layer violation fails CI.
  { files: ['src/**/*.ts'], plugins: { mailtrail }, rules: { 'mailtrail/boundaries': 'error' } },
);
