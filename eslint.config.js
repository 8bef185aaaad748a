// @ts-check
// Lint for src/, test/, bench/, scripts/: typescript-eslint's recommended rules without type
// information (fast: no type-checker run), on top of ESLint's recommended JavaScript rules.
// `npm run typecheck` remains the type check; prettier owns the layout. Run: npm run lint
import js from '@eslint/js';
import { defineConfig, globalIgnores } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  globalIgnores(['dist/', 'coverage/', 'docs/', 'deploy/', 'node_modules/']),
  js.configs.recommended,
  tseslint.configs.recommended,
  {
    files: ['**/*.{js,mjs,cjs}'],
    // The plain-JavaScript scripts run on Node: its globals (process, console, URL) exist.
    languageOptions: { globals: globals.node },
  },
  {
    rules: {
      // A leading underscore marks a name left unused on purpose: `const { ok: _ignored, ...rest }`, `for await (const _ of body)`.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_', ignoreRestSiblings: true },
      ],
    },
  },
  {
    files: ['test/**/*.ts'],
    rules: {
      // Tests take apart untyped JSON (SARIF, --json output) and break it on purpose; `any` says so there.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
