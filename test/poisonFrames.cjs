// Loaded by both mocha configs: every in-process or child broker of the suite copies each produce frame into a
// pool slot and poisons it once the request was answered (src/server/frameBufferPool.ts), so code that keeps
// reading a request's records after its answer fails tests instead of corrupting data under load.
process.env.BROOK_TEST_POISON_FRAMES = '1';
