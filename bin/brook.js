#!/usr/bin/env node
'use strict';
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
