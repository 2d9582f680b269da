// npm test: every test file except the slow scenarios listed in test/longSuite.cjs (npm run test:long).
module.exports = {
  'node-option': ['import=tsx'],
  require: [require.resolve('./test/poisonFrames.cjs')],
  extension: ['ts'],
  spec: ['test/**/*.test.ts'],
  ignore: require('./test/longSuite.cjs'),
  timeout: 60000,
  exit: true,
};
