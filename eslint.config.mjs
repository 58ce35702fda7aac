// ESLint flat config. Besides the recommended rules, it enforces the one-way
// dependencies of DESIGN.md: core knows no identity, API or format; identity knows no
// API or format; a format knows no other format and no API; nothing imports the app.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const noImports = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: patterns.map((group) => ({ group: [group], message })) }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', '**/*.js', '**/*.mjs'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
      'no-console': ['error', { allow: ['warn', 'error'] }],
    },
  },
  {
    files: ['libs/packages-core/**/*.ts'],
    rules: noImports(['@wharf/auth*', '@wharf/api*', '@wharf/registry-*', '**/libs/auth/**', '**/libs/api/**', '**/registries/**', '**/apps/**'],
      'packages-core is the bottom layer: it must not import identity, the API, a format or the app'),
  },
  {
    files: ['libs/auth/**/*.ts'],
    rules: noImports(['@wharf/api*', '@wharf/registry-*', '**/libs/api/**', '**/registries/**', '**/apps/**'],
      'auth may import only packages-core'),
  },
  {
    files: ['libs/registries/**/*.ts'],
    rules: noImports(['@wharf/registry-*', '@wharf/api*', '**/libs/api/**', '../../*/src/**', '**/apps/**'],
      'a format imports only packages-core and auth, never another format'),
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', 'bench/**/*.ts', '**/testing/**/*.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
