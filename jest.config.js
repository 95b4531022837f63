/** Unit and manifest tests: run on any machine with Node.js (`npm test`). */
module.exports = {
  preset: 'ts-jest',
  // Transpile only (isolatedModules): type checking every file again in each jest worker cost more
  // than half of the suite's time; `npm run typecheck` (tsc --noEmit, run by CI) checks the types.
  // tsconfig uses node16 module resolution (needed by the Grafana SDK's subpath exports); ts-jest
  // warns about that combination, which works for our CommonJS output.
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: { isolatedModules: true }, diagnostics: { ignoreCodes: [151002] } }] },
  testEnvironment: 'node',
  // One worker per core, not jest's default of one less: most files wait on child processes
  // (setup.sh, synth, openssl), so on a 2-core machine two files side by side halve the wall time.
  maxWorkers: '100%',
  reporters: ['default', '<rootDir>/test/support/slowest-files.cjs'],
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/services/', '<rootDir>/test/cluster/'],
};
