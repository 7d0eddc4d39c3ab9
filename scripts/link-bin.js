#!/usr/bin/env node
// npm links the `bin` of dependencies into node_modules/.bin, not the project's own; link ours so
// `npx bcsync ...` works in a fresh clone right after `npm install`.
'use strict';
const { mkdirSync, rmSync, symlinkSync } = require('node:fs');
const { join } = require('node:path');

const binDir = join(__dirname, '..', 'node_modules', '.bin');
mkdirSync(binDir, { recursive: true });
const link = join(binDir, 'bcsync');
rmSync(link, { force: true });
symlinkSync(join('..', '..', 'bin', 'bcsync.js'), link);
