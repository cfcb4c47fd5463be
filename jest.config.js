/** Jest runs TypeScript as native ESM through ts-jest (type-checking is `npm run typecheck`'s job). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts', '.tsx'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, diagnostics: false }],
    // The HubSpot cards and pages and their tests are React: compiled with the cards' tsconfig (react-jsx).
    '^.+\\.tsx$': [
      'ts-jest',
      { useESM: true, diagnostics: false, tsconfig: '<rootDir>/hubspot/tsconfig.json' },
    ],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/test/**/*.test.tsx'],
  // Multi-process and Redis tests need more than the default 5 s; no test asserts on wall-clock time.
  testTimeout: 60_000,
  // Two cores: run test files two at a time so Redis-backed suites do not starve each other.
  maxWorkers: 2,
};
