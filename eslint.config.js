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
  // Layers (README "Architecture"): each block names what a folder may not import, so the layering found
  // by the December code review stays fixed. (A later block for the same file replaces an earlier
  // no-restricted-imports, so each zone lists all of its restrictions.)
  ...layerZones([
    {
      files: ['activities/store/**/*.ts'],
      banned: ['engine', 'connectors', 'client', 'worker', 'devservers', 'emulators'],
      // The shared throttling budget store applies the connectors' pure budget rules (no I/O).
      except: ['connectors/budgetRules', 'connectors/requestBudget'],
      message: 'Stores are the lowest layer: they may not import the engine, connectors, CLI or dev tooling.',
    },
    {
      files: ['activities/connectors/**/*.ts'],
      banned: ['store', 'engine', 'mappings', 'client', 'worker', 'devservers', 'emulators'],
      message: 'Connectors speak HTTP only: no stores, engine, mappings, CLI or dev tooling.',
    },
    {
      files: ['activities/engine/**/*.ts', 'activities/mappings/**/*.ts', 'activities/*.ts'],
      banned: ['client', 'worker', 'devservers', 'emulators'],
      message: 'Activities may not import the CLI, the worker process or dev tooling.',
    },
    {
      files: ['worker/**/*.ts'],
      banned: ['client', 'devservers', 'emulators'],
      message: 'The production worker may not import the CLI or dev tooling.',
    },
    {
      files: ['emulators/**/*.ts'],
      // bcsync's common/ holds facts about the Microsoft services both sides share (which BC entity sets
      // send webhooks), so the emulators may read it; nothing else of bcsync.
      banned: ['activities', 'client', 'worker', 'devservers', 'workflows', 'config'],
      message: 'The emulators stand alone (they replace Microsoft services, not parts of bcsync).',
    },
    {
      files: ['temporal/**/*.ts'],
      // ('../client', '../worker': the @temporalio/client and /worker packages are what this folder is for.)
      banned: [
        'engine',
        'store',
        'connectors',
        '../client',
        '../worker',
        'devservers',
        'emulators',
        'workflows',
      ],
      message:
        'Temporal connections and the payload codec serve the CLI and the worker alike: settings only.',
    },
    {
      files: ['config/**/*.ts'],
      banned: ['engine', 'store', 'client', 'worker', 'devservers', 'emulators', 'workflows'],
      message: "Configuration is read first: it depends on nothing but the connectors' settings schema.",
    },
  ]),
);

/** One no-restricted-imports block per zone, banning relative imports of the named top folders. */
function layerZones(zones) {
  return zones.map(({ files, banned, message, except = [] }) => ({
    files,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: banned.map((name) =>
            except.length === 0
              ? {
                  group: name.startsWith('.') ? [name, `${name}/**`] : [`**/${name}`, `**/${name}/**`],
                  message,
                }
              : {
                  // (A gitignore-style group cannot re-allow a file below a banned folder: a regex can.)
                  regex: `^(?!.*/(${except.join('|')})$)(.*/)?${name}(/.*)?$`,
                  message,
                },
          ),
        },
      ],
    },
  }));
}
