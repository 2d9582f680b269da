#!/usr/bin/env node
'use strict';
// Docker HEALTHCHECK: asks the broker for its API versions over the Kafka
// protocol, so "healthy" means the broker answers requests, not merely that a
// port is open. No dependencies: it must run in the bare runtime image.
// Exit 0 = healthy, 1 = unhealthy (Docker's convention).
const net = require('net');

const host = process.env.BROOK_HEALTHCHECK_HOST || '127.0.0.1';
const port = Number(process.env.BROOK_HEALTHCHECK_PORT || process.env.BROOK_PORT || 9092);
const timeoutMs = Number(process.env.BROOK_HEALTHCHECK_TIMEOUT_MS || 3000);
const API_VERSIONS = 18;
const CORRELATION_ID = 0x4845414c; // "HEAL"

function request() {
  const clientId = Buffer.from('brook-healthcheck');
  // ApiVersions v0: header v1 (api key, version, correlation id, client id), empty body.
  const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
  let o = body.writeInt16BE(API_VERSIONS, 0);
  o = body.writeInt16BE(0, o);
  o = body.writeInt32BE(CORRELATION_ID, o);
  o = body.writeInt16BE(clientId.length, o);
  clientId.copy(body, o);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length, 0);
  return Buffer.concat([size, body]);
}

function fail(why) {
  process.stderr.write(`unhealthy: ${why}\n`);
  process.exit(1);
}

const socket = net.connect({ host, port });
const timer = setTimeout(() => fail(`no answer from ${host}:${port} within ${timeoutMs}ms`), timeoutMs);
let got = Buffer.alloc(0);
socket.on('connect', () => socket.write(request()));
socket.on('error', (err) => fail(`${host}:${port}: ${err.message}`));
socket.on('data', (chunk) => {
  got = Buffer.concat([got, chunk]);
  if (got.length < 4 || got.length < 4 + got.readInt32BE(0)) return;
  clearTimeout(timer);
  socket.destroy();
  // Response v0: correlation id, error code, [api key, min, max].
  const correlationId = got.readInt32BE(4);
  const errorCode = got.readInt16BE(8);
  const apis = got.readInt32BE(10);
  if (correlationId !== CORRELATION_ID) fail(`answer to the wrong request (correlation id ${correlationId})`);
  if (errorCode !== 0) fail(`ApiVersions error code ${errorCode}`);
  if (apis <= 0) fail('the broker advertises no APIs');
  process.stdout.write(`healthy: ${host}:${port} serves ${apis} APIs\n`);
  process.exit(0);
});
