// Runs a TypeScript file in a child process of a test (`node runTypeScript.js file.ts args...`): jest
// compiles the test files with @swc/jest, but a child `node` process needs its own hook to load .ts.
/* eslint-disable @typescript-eslint/no-require-imports */
const { transformSync } = require('@swc/core');
const { readFileSync } = require('node:fs');
const { resolve } = require('node:path');

require.extensions['.ts'] = (module, filename) => {
  const { code } = transformSync(readFileSync(filename, 'utf8'), {
    filename,
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  });
  module._compile(code, filename);
};

const script = resolve(process.argv[2]);
process.argv.splice(1, 1);
require(script);
