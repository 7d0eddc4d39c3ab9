#!/usr/bin/env node
'use strict';
// The compiled CLI lives in dist/ (built by `npm install` through the `prepare` script).
//
// `bcsync worker` runs in a child node process started with the worker's memory settings
// (worker/processSettings.ts): V8 flags and MALLOC_ARENA_MAX cannot be set once a process runs.
const args = process.argv.slice(2);
const settings = args[0] === 'worker' ? workerSettings() : undefined;
if (settings && settings.args.length > 0) {
  const { spawn } = require('node:child_process');
  const { constants } = require('node:os');
  const child = spawn(process.execPath, [...settings.args, ...process.execArgv, __filename, ...args], {
    stdio: 'inherit',
    env: settings.env,
  });
  // The worker drains its activities on SIGINT/SIGTERM; this process only passes the signal on.
  for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (constants.signals[signal] ?? 0)));
} else {
  require('../dist/client/cli.js');
}

function workerSettings() {
  try {
    const { workerNodeArgs, workerEnv } = require('../dist/worker/processSettings.js');
    return { args: workerNodeArgs(process.env, process.execArgv), env: workerEnv(process.env) };
  } catch (err) {
    console.error(`bcsync worker: ${err.message}`);
    process.exit(2);
  }
}
