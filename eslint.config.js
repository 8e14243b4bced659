// Flat config: typescript-eslint with type information, so floating promises are caught.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'data/', 'bench/results/'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Services throw DomainErrors (src/errors/); only the socket layer speaks WsException.
    files: ['src/**/*.ts'],
    ignores: [
      'src/**/*.gateway.ts',
      'src/common/legacy-exception.filter.ts',
      'src/common/legacy-payload.pipe.ts',
      'src/common/legacy-validation.pipe.ts',
      'src/gateway/**',
    ],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: '@nestjs/websockets',
              importNames: ['WsException'],
              message:
                'WsException belongs to the socket layer (gateways, its filter, pipes and interceptor): throw a DomainError from src/errors/domain-errors.ts instead.',
            },
          ],
        },
      ],
    },
  },
);
