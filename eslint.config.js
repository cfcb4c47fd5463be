import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      'coverage/**',
      'hubspot/**/node_modules/**',
      'hubspot/**/dist/**',
      'test-output/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      // The domain must stay pure: no SDKs, no I/O.
    },
  },
  {
    files: ['src/domain/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                'twilio',
                'twilio/*',
                '@hubspot/*',
                'redis',
                '@redis/*',
                'express',
                'pino',
                'prom-client',
                'node:*',
                'fs',
                'net',
                'http',
              ],
              message: 'The domain is pure: no SDKs, no I/O.',
            },
            {
              group: ['../engine/*', '../telephony/*', '../crm/*', '../http/*', '../cli/*'],
              message: 'The domain depends on nothing outside itself.',
            },
          ],
        },
      ],
    },
  },
);
