/**
 * Host tests (requirement B5): our real configs and entrypoints run by real servers from Debian
 * packages on 127.0.0.1. They need the packages that `.ci/run` installs; run with
 * `npm run test:services`.
 */
module.exports = {
  preset: 'ts-jest',
  // Transpile only (isolatedModules): type checking every file again in each jest worker cost more
  // than half of the suite's time; `npm run typecheck` (tsc --noEmit, run by CI) checks the types.
  // tsconfig uses node16 module resolution (needed by the Grafana SDK's subpath exports); ts-jest
  // warns about that combination, which works for our CommonJS output.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { isolatedModules: true }, diagnostics: { ignoreCodes: [151002] } }] },
  testEnvironment: 'node',
  reporters: ['default', '<rootDir>/test/support/slowest-files.cjs'],
  roots: ['<rootDir>/test/services'],
  testMatch: ['**/*.test.ts'],
  testTimeout: 120000,
  globalSetup: '<rootDir>/test/services/support/fresh-output.ts',
};
