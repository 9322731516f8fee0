// @ts-check
import eslint from '@eslint/js';
import tseslint from 'typescript-eslint';
import { join } from 'node:path';

export default tseslint.config(
  { ignores: ['dist/', 'coverage/', 'test-output/', 'bench-results/', 'node_modules/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ['test/eslint.config.mjs'] },
        tsconfigRootDir: join(import.meta.dirname, '..'),
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-console': 'error',
    },
  },
  {
    // `expect.any(...)` and friends are typed `any`.
    files: ['test/**/*.ts'],
    rules: { '@typescript-eslint/no-unsafe-assignment': 'off' },
  },
  { files: ['test/eslint.config.mjs'], ...tseslint.configs.disableTypeChecked },
  {
    // Plain CommonJS fixtures that child processes load without a build step.
    files: [
      'test/conformance/*.js',
      'test/fixtures/*.js',
      'test/bench/*.js',
      'scripts/*.cjs',
      'test/esm-package-transform.js',
    ],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      ...tseslint.configs.disableTypeChecked.languageOptions,
      sourceType: 'commonjs',
      globals: {
        require: 'readonly',
        module: 'writable',
        process: 'readonly',
        console: 'writable',
        __dirname: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        setImmediate: 'readonly',
      },
    },
    rules: { ...tseslint.configs.disableTypeChecked.rules, '@typescript-eslint/no-require-imports': 'off' },
  },
);
