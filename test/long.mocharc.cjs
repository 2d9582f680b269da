// npm run test:long: the slow scenarios npm test leaves out (list in ./longSuite.cjs).
module.exports = {
  'node-option': ['import=tsx'],
  require: [require.resolve('./poisonFrames.cjs')],
  extension: ['ts'],
  spec: require('./longSuite.cjs'),
  timeout: 60000,
  exit: true,
};
