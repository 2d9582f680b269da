/**
 * Source batches view reads (Fetch and share-group acquisition) walked record by record, those read but skipped
 * because the tag index says they hold none of the view's tags, and the offsets skipped by the index without
 * reading them (for tests, metrics).
 */
export const viewScanStats = { batchesWalked: 0, batchesSkippedBySummary: 0, offsetsSkippedUnread: 0 };
