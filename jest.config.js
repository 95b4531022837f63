/** Unit and manifest tests: run on any machine with Node.js (`npm test`). */
module.exports = {
  preset: 'ts-jest',
  // tsconfig uses node16 module resolution (needed by the Grafana SDK's subpath exports); ts-jest
  // warns about that combination, which works for our CommonJS output.
  transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: { ignoreCodes: [151002] } }] },
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/', '<rootDir>/test/services/'],
};
