// Two projects: `unit` (specs beside the code: parsers, storage contract, services on a
// real database) and `e2e` (the whole app over HTTP, and real clients).
const moduleNameMapper = {
  '^@wharf/packages-core(|/.*)$': '<rootDir>/libs/packages-core/src$1',
  '^@wharf/auth(|/.*)$': '<rootDir>/libs/auth/src$1',
  '^@wharf/api(|/.*)$': '<rootDir>/libs/api/src$1',
  '^@wharf/web(|/.*)$': '<rootDir>/libs/web/src$1',
  '^@wharf/registry-([a-z]+)(|/.*)$': '<rootDir>/libs/registries/$1/src$2',
};
const common = {
  rootDir: __dirname,
  moduleFileExtensions: ['js', 'json', 'ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }] },
  setupFiles: ['reflect-metadata'],
  testEnvironment: 'node',
  moduleNameMapper,
};
module.exports = {
  // Real clients (mvn, gem, R, mono) start slowly on a loaded 2-core machine; a hang still fails.
  testTimeout: 180000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts'] },
    { ...common, displayName: 'e2e', testMatch: ['<rootDir>/test/**/*.e2e-spec.ts'] },
  ],
};
