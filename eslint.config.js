// Flat config: typescript-eslint's recommended rules, plus the layering rule of docs/design.md (Layers)
// (lambda/core is pure: no sockets, files, AWS SDK or CDK).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'cdk.out/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    files: ['lambda/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['ioredis', '@aws-sdk/*', 'aws-cdk-lib', 'aws-cdk-lib/*', 'node:*', 'fs', 'net', 'tls', 'child_process', '../redis/*', '../publish/*'],
              message: 'lambda/core is pure: pass data in, return data out (docs/design.md, Layers).',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', { name: 'process', message: 'lambda/core reads no environment.' }],
      'no-restricted-properties': ['error', { object: 'Date', property: 'now', message: 'pass now in.' }],
    },
  },
);
