/** Jest runs TypeScript as native ESM through ts-jest (type-checking is `npm run typecheck`'s job). */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts', '.tsx'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: {
    // One transformer for .ts and .tsx (the HubSpot cards and their tests are React; the root tsconfig sets jsx).
    '^.+\\.tsx?$': ['ts-jest', { useESM: true, diagnostics: false }],
  },
  testMatch: ['<rootDir>/test/**/*.test.ts', '<rootDir>/test/**/*.test.tsx'],
  // Redis on any machine: the configured one if it answers, else a throwaway redis-server (test/support).
  globalSetup: '<rootDir>/test/support/redis-global-setup.ts',
  globalTeardown: '<rootDir>/test/support/redis-global-teardown.ts',
  // Multi-process and Redis tests need more than the default 5 s; no test asserts on wall-clock time.
  testTimeout: 60_000,
  // Two cores: run test files two at a time so Redis-backed suites do not starve each other.
  maxWorkers: 2,
};
