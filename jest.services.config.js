/**
 * Host tests (requirement B5): our real configs and entrypoints run by real servers from Debian
 * packages on 127.0.0.1. They need the packages that `.ci/run` installs; run with
 * `npm run test:services`.
 */
module.exports = {
  preset: 'ts-jest',
  // tsconfig uses node16 module resolution (needed by the Grafana SDK's subpath exports); ts-jest
  // warns about that combination, which works for our CommonJS output.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: { ignoreCodes: [151002] } }] },
  testEnvironment: 'node',
  roots: ['<rootDir>/test/services'],
  testMatch: ['**/*.test.ts'],
  testTimeout: 120000,
};
