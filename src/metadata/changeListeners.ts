import { ErrorCode } from '../../protocol/errors';
import { MetadataError, type CreateTopicOptions, type MetadataEvent, type MetadataListener, type TopicInfo } from './types';

/** The listeners of one MetadataService, with the delivery rules every backend promises. */
export class ChangeListeners {
  private readonly listeners = new Set<MetadataListener>();

  add(listener: MetadataListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Runs every listener and waits for the promises they return; one failing listener does not stop the others. */
  async emit(e: MetadataEvent): Promise<void> {
    const pending: Array<void | Promise<void>> = [];
    for (const l of this.listeners) {
      try {
        pending.push(l(e));
      } catch {
        // A throwing listener is its owner's bug; the change itself is already durable.
      }
    }
    await Promise.allSettled(pending);
  }

  clear(): void {
    this.listeners.clear();
  }
}

/**
 * `ensureTopic` for any backend: concurrent callers share one creation, and
 * losing a race to another creator (a client, another broker) yields the
 * topic that won, since that is what the caller wanted.
 */
export function ensureTopicOnce(
  creating: Map<string, Promise<TopicInfo>>,
  name: string,
  opts: CreateTopicOptions,
  lookup: (name: string) => TopicInfo | undefined,
  create: (name: string, opts: CreateTopicOptions) => Promise<TopicInfo>,
): Promise<TopicInfo> {
  const existing = lookup(name);
  if (existing) return Promise.resolve(existing);
  const inflight = creating.get(name);
  if (inflight) return inflight;
  const p = create(name, opts).catch((err: unknown) => {
    const now = lookup(name);
    if (err instanceof MetadataError && err.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS && now) return now;
    throw err;
  });
  creating.set(name, p);
  const clear = () => creating.delete(name);
  p.then(clear, clear);
  return p;
}
