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
    c = Consumer({
        "bootstrap.servers": a["bootstrap"],
        "group.id": a["group"],
        "auto.offset.reset": "earliest",
        "topic.metadata.refresh.interval.ms": 1000,
    })
    c.subscribe([a["topic"]])
    read = {}
    total = 0
    deadline = time.time() + a.get("timeoutS", 60)
    while total < a["expected"] and time.time() < deadline:
        msg = c.poll(0.5)
        if msg is None or msg.error():
            continue
        read.setdefault(str(msg.partition()), []).append(int(msg.value().decode()))
        total += 1
    c.close()
    return {"read": read}


if __name__ == "__main__":
    args = json.loads(sys.argv[1])
    out = produce(args) if args["op"] == "produce" else consume(args)
    print(json.dumps(out))
