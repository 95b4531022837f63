/**
 * The proofs on the real cluster (issue 17, B14): ./setup.sh, check and delete against the
 * Kubernetes that `.ci/cluster/up` starts, from the user's network namespace. One stack shared by
 * ordered tests, so one file, in band, with the timeouts of a first start on 2 cores. Run with
 * `npm run test:cluster` after `.ci/cluster/build` and `.ci/cluster/up`.
 */
module.exports = {
  preset: 'ts-jest',
  // As jest.config.js: transpile only; `npm run typecheck` checks the types.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { isolatedModules: true }, diagnostics: { ignoreCodes: [151002] } }] },
  testEnvironment: 'node',
  reporters: ['default', '<rootDir>/test/support/slowest-files.cjs'],
  roots: ['<rootDir>/test/cluster'],
  testMatch: ['**/*.test.ts'],
  // Each file ends with ./setup.sh delete on the one cluster; the order is stated there.
  testSequencer: '<rootDir>/test/cluster/support/sequencer.cjs',
  // The first ./setup.sh waits for every rollout (FT_TIMEOUT 900s) and check restarts every pod.
  testTimeout: 1_200_000,
  // A failed step leaves the rest of the session meaningless: stop at the first failing test file.
  bail: 1,
};
