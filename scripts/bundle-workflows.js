#!/usr/bin/env node
// Pre-builds the workflow bundle for production workers (temporal-practices.md: bundleWorkflowCode,
// then `workflowBundle: { codePath }`), so a worker starts without webpack.
'use strict';
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');
const { bundleWorkflowCode } = require('@temporalio/worker');

async function run() {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve(join(__dirname, '..', 'dist', 'workflows')),
    // Failure messages into (encrypted) payloads on the workflow side too (common/failureConverter.ts).
    failureConverterPath: require.resolve(join(__dirname, '..', 'dist', 'common', 'failureConverter')),
    logger: { trace() {}, debug() {}, info() {}, warn: console.warn, error: console.error, log() {} },
  });
  writeFileSync(join(__dirname, '..', 'dist', 'workflow-bundle.js'), code);
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
