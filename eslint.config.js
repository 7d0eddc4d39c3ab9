// @ts-check
const tseslint = require('typescript-eslint');

const nodeBuiltins = require('node:module').builtinModules.filter(
  (m) => !['assert', 'url', 'util'].includes(m),
);

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.bcsync/**', 'coverage/**', '*.js', 'bin/**', 'scripts/**'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node built-ins, no database driver, no
    // activity/worker/client packages, and only types from activities (temporal-practices.md).
    files: ['workflows/**/*.ts', 'common/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'Workflow code cannot use Node built-ins.' })),
            ...nodeBuiltins.map((name) => ({
              name: `node:${name}`,
              message: 'Workflow code cannot use Node built-ins.',
            })),
            { name: 'mongodb', message: 'Workflow code cannot reach MongoDB; use an activity.' },
            { name: '@temporalio/activity', message: 'Not available in workflow code.' },
            { name: '@temporalio/worker', message: 'Not available in workflow code.' },
            { name: '@temporalio/client', message: 'Not available in workflow code.' },
          ],
          patterns: [
            {
              group: ['../activities', '../activities/*', '../../activities/*', '**/activities/**'],
              allowTypeImports: true,
              message: 'Workflows import only types from activities.',
            },
            { group: ['pino', 'commander', 'cli-*'], message: 'Not deterministic / not for workflow code.' },
          ],
        },
      ],
    },
  },
);
