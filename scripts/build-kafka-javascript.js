#!/usr/bin/env node
// Builds @confluentinc/kafka-javascript's native addon from source after `npm install`.
//
// Why this instead of the package's own install script (denied in package.json allowScripts):
// its script is `node-pre-gyp install --fallback-to-build`. The prebuilt download is unreachable here, and the
// fallback build links librdkafka statically, which runs librdkafka's configure with
// `--install-deps --source-deps-only`: that downloads zlib, OpenSSL, zstd and curl sources and fails offline.
// CKJS_LINKING=dynamic builds the bundled librdkafka against the system's libraries instead, but it is read from
// the process environment only (no npm config reaches it), so the root package sets it here.
'use strict';
const { spawnSync } = require('child_process');
const fs = require('fs');
const path = require('path');

const pkgDir = path.join(__dirname, '..', 'node_modules', '@confluentinc', 'kafka-javascript');
const addon = path.join(pkgDir, 'build', 'Release', 'confluent-kafka-javascript.node');

function loads() {
  const r = spawnSync(process.execPath, ['-e', "require('@confluentinc/kafka-javascript')"], {
    cwd: path.join(__dirname, '..'),
    stdio: 'ignore',
  });
  return r.status === 0;
}

if (!fs.existsSync(pkgDir)) process.exit(0); // a production install (--omit=dev) has no such package
if (fs.existsSync(addon) && loads()) process.exit(0);

const nodePreGyp = require.resolve('@mapbox/node-pre-gyp/bin/node-pre-gyp', { paths: [pkgDir] });
const env = { ...process.env, CKJS_LINKING: 'dynamic' };
// node-gyp would download Node's headers; Debian's nodejs ships them under /usr/include/node.
if (!env.npm_config_nodedir && fs.existsSync('/usr/include/node/node.h')) env.npm_config_nodedir = '/usr';
console.log('building @confluentinc/kafka-javascript from source (CKJS_LINKING=dynamic); this takes a few minutes');
const r = spawnSync(process.execPath, [nodePreGyp, 'install', '--build-from-source'], { cwd: pkgDir, env, stdio: 'inherit' });
if (r.status !== 0) {
  console.error('building @confluentinc/kafka-javascript failed');
  process.exit(r.status ?? 1);
}
if (!loads()) {
  console.error('@confluentinc/kafka-javascript was built but does not load');
  process.exit(1);
}
