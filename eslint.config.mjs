// ESLint flat config. Besides the recommended rules, it enforces the one-way
// dependencies of DESIGN.md: core knows no identity, API or format; identity knows no
// API or format; the API knows no format; a format knows no other format and no API;
// nothing imports the app; and nothing outside core or auth imports their files directly.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const noImports = (patterns, message) => ({
  'no-restricted-imports': ['error', { patterns: patterns.map((group) => ({ group: [group], message })) }],
});

// Core and identity are used through their index (`@wharf/packages-core`, `@wharf/auth`),
// never by reaching into their folders: what is not exported is not part of their API.
const DEEP_MESSAGE =
  'import packages-core and auth through their index (@wharf/packages-core, @wharf/auth); export what you need there instead of importing a file';
const deepImports = (allowTesting) => [
  {
    // `@wharf/packages-core/<file>`, `@wharf/auth/<file>`, and relative paths into
    // `packages-core/src/…` or `auth/src/…`; tests and specs may use core's `testing/` helpers.
    regex: allowTesting
      ? '^@wharf/(packages-core/(?!testing/)|auth/)|(^|/)(packages-core/src/(?!testing/)|auth/src/)'
      : '^@wharf/(packages-core|auth)/|(^|/)(packages-core|auth)/src/',
    message: DEEP_MESSAGE,
  },
];
/** `no-restricted-imports` with layer patterns plus the deep-import ban (one rule entry: a later block would replace it). */
const layerRule = (patterns, message, { allowTesting = false } = {}) => ({
  'no-restricted-imports': [
    'error',
    { patterns: [...patterns.map((group) => ({ group: [group], message })), ...deepImports(allowTesting)] },
  ],
});
const REGISTRY_PATTERNS = ['@wharf/registry-*', '@wharf/api*', '**/libs/api/**', '../../*/src/**', '**/apps/**'];
const WEB_PATTERNS = ['@wharf/registry-*', '**/registries/**', '@wharf/api*', '**/libs/api/**', '**/apps/**'];
const WEB_MESSAGE = 'the web interface may import packages-core and auth, never a format, the API or the app';
const REGISTRY_MESSAGE = 'a format imports only packages-core and auth, never another format';

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
    rules: noImports(['@wharf/api*', '@wharf/registry-*', '**/libs/api/**', '**/registries/**', '**/apps/**',
      '@wharf/packages-core/**', '**/packages-core/src/**'],
      'auth may import only packages-core, through its index'),
  },
  {
    files: ['libs/registries/**/*.ts'],
    rules: layerRule(REGISTRY_PATTERNS, REGISTRY_MESSAGE),
  },
  {
    // A format's unit specs may use core's testing helpers (backends, test contexts).
    files: ['libs/registries/**/*.spec.ts'],
    rules: layerRule(REGISTRY_PATTERNS, REGISTRY_MESSAGE, { allowTesting: true }),
  },
  {
    files: ['libs/api/**/*.ts'],
    rules: layerRule(['@wharf/registry-*', '**/registries/**', '**/apps/**'],
      'the management API may import packages-core and auth, never a format or the app'),
  },
  {
    files: ['libs/web/**/*.ts'],
    rules: layerRule(WEB_PATTERNS, WEB_MESSAGE),
  },
  {
    // Its unit specs may use core's testing helpers (hostile names).
    files: ['libs/web/**/*.spec.ts'],
    rules: layerRule(WEB_PATTERNS, WEB_MESSAGE, { allowTesting: true }),
  },
  {
    files: ['apps/**/*.ts'],
    rules: layerRule([], ''),
  },
  {
    // Tests and benchmarks may reach core's testing helpers, nothing else inside core or auth.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: layerRule([], '', { allowTesting: true }),
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts', 'bench/**/*.ts', '**/testing/**/*.ts'],
    rules: { 'no-console': 'off', '@typescript-eslint/no-explicit-any': 'off' },
  },
);
