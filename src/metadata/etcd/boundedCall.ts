/**
 * At most this long for one etcd call while shutting down. With etcd unreachable but its connection open (a
 * partition, a stopped process) a call waits forever, and a broker told to stop must stop: what the call would have
 * done happens anyway (a lease expires, a watch ends with the connection).
 */
export const SHUTDOWN_CALL_MS = 3000;

/** Waits for `call` at most `ms`; true when it succeeded in time, false when it failed or took longer. */
export async function settledWithin(call: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      call.then(
        () => true,
        () => false,
      ),
      new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
