"""librdkafka driver for cluster tests: numbered messages with an idempotent acks=all producer, or a group consumer.
JSON in on argv[1], JSON out on stdout. Acked numbers are reported per partition in delivery order."""
import json
import sys
import time

from confluent_kafka import Consumer, Producer


def produce(a):
    p = Producer({
        "bootstrap.servers": a["bootstrap"],
        "enable.idempotence": True,
        "acks": "all",
        "linger.ms": 2,
        "message.timeout.ms": a.get("timeoutMs", 60000),
        "retry.backoff.ms": 100,
        "topic.metadata.refresh.interval.ms": 1000,
    })
    acked = {}
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))
            return
        acked.setdefault(str(msg.partition()), []).append(int(msg.value().decode()))

    for n in range(a["from"], a["from"] + a["count"]):
        p.produce(a["topic"], value=str(n).encode(), partition=n % a["partitions"], on_delivery=on_delivery)
        p.poll(0)
        if a.get("delayMs"):
            time.sleep(a["delayMs"] / 1000.0)
    left = p.flush(a.get("timeoutMs", 60000) / 1000.0)
    if left:
        errors.append("undelivered=%d" % left)
    return {"acked": acked, "errors": errors}


def consume(a):
    commit_each = a.get("commitEach", False)
    c = Consumer({
        "bootstrap.servers": a["bootstrap"],
        "group.id": a["group"],
        "auto.offset.reset": "earliest",
        # with commitEach every message is committed (synchronously) before the next is read, so a
        # rebalance or coordinator move resumes exactly after it
        "enable.auto.commit": not commit_each,
        "topic.metadata.refresh.interval.ms": 1000,
        # the group's and the fetcher's story on stderr, which a failed test prints the end of
        **({"debug": a["debug"]} if a.get("debug") else {}),
    })
    c.subscribe([a["topic"]])
    read = {}
    total = 0
    commit_retries = 0
    started = time.time()
    deadline = started + a.get("timeoutS", 60)
    while total < a["expected"] and time.time() < deadline:
        msg = c.poll(0.5)
        if msg is None or msg.error():
            continue
        read.setdefault(str(msg.partition()), []).append(int(msg.value().decode()))
        total += 1
        while commit_each and time.time() < deadline:
            try:
                c.commit(message=msg, asynchronous=False)
                break
            except Exception:
                commit_retries += 1
                time.sleep(0.1)
    c.close()
    return {"read": read, "commitRetries": commit_retries, "seconds": round(time.time() - started, 1)}


if __name__ == "__main__":
    args = json.loads(sys.argv[1])
    out = produce(args) if args["op"] == "produce" else consume(args)
    print(json.dumps(out))
