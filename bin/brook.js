#!/usr/bin/env -S node --max-semi-space-size=4 --min-semi-space-size=4 --interrupt-budget=8192 --no-parallel-scavenge
'use strict';
// The V8 flags on the first line are the broker's (src/cli/nodeFlags.ts says why); env -S splits them.
// The compiled CLI lives in dist/ (built by `npm install` through the prepare script).
const path = require('path');
const fs = require('fs');
const compiled = path.join(__dirname, '..', 'dist', 'src', 'cli', 'main.js');
if (!fs.existsSync(compiled)) {
  console.error('brook: dist/ is missing; run `npm run build` (or `npm install`) first');
  process.exit(1);
}
require(compiled).main(process.argv.slice(2)).catch((err) => {
  console.error(err && err.stack ? err.stack : String(err));
  process.exit(1);
});
