import type { BrokerServices } from '../handlers/types';
import { isView, VIEW_OF } from './viewTopics';

/**
 * After a source topic grew, its views grow to the same count, on the source's replicas of the new partitions
 * (a view's partition is served by the broker leading the source partition).
 */
export async function growViewsOf(services: BrokerServices, source: string): Promise<void> {
  const count = services.metadata.topic(source)?.partitions;
  if (count === undefined) return;
  for (const view of services.metadata.topics()) {
    if (!isView(view) || view.configs[VIEW_OF] !== source || view.partitions >= count) continue;
    const assignment: number[][] = [];
    for (let p = view.partitions; p < count; p++) assignment.push([...(services.metadata.partitionState(source, p)?.replicas ?? [])]);
    const known = assignment.every((a) => a.length > 0);
    await services.metadata.addPartitions(view.name, count, known ? assignment : undefined);
    services.logger.info({ view: view.name, source, partitions: count }, 'view follows its source to more partitions');
  }
}
