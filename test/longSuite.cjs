// The slow multi-process scenarios (clusters killed and restarted, the client x scenario matrix), run by
// `npm run test:long` instead of `npm test` so that `npm test` stays well under 20 minutes on 2 cores.
// `.ci/run` runs both. A file listed here runs only in test:long; every other test file only in npm test.
module.exports = [
  'test/compat/compat.test.ts',
  'test/cluster/faults.test.ts',
  'test/cluster/replicationClients.test.ts',
  'test/cluster/reassignmentFailover.test.ts',
  'test/scheduled/scheduledCluster.test.ts',
  'test/scheduled/scheduledFailover.test.ts',
  'test/scheduled/scheduledIdempotentCluster.test.ts',
  'test/share/shareCluster.test.ts',
  'test/share/shareClusterLeaders.test.ts',
  'test/cluster/decommission.test.ts',
  'test/cluster/reassignment.test.ts',
  'test/ops/dockerCluster.test.ts',
  'test/scheduled/scheduledTransactionalCluster.test.ts',
  'test/views/viewsCluster.test.ts',
  'test/views/viewsCoordinatorKill.test.ts',
];
