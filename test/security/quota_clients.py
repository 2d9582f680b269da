"""Drives a throttled librdkafka (confluent-kafka) producer or consumer; JSON in on argv, JSON out on stdout.
Reports elapsed seconds and the largest throttle time librdkafka saw in responses (throttle_cb)."""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING

args = json.loads(sys.argv[1])
throttles = []


def on_throttle(event):
    throttles.append(event.throttle_time)


common = {"bootstrap.servers": args["bootstrap"], "client.id": args["client_id"], "throttle_cb": on_throttle}


def produce():
    p = Producer({**common, "acks": "all", "linger.ms": 5, "batch.size": 65536})
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))

    value = b"q" * args["size"]
    start = time.monotonic()
    for _ in range(args["count"]):
        while True:
            try:
                p.produce(args["topic"], value=value, partition=0, on_delivery=on_delivery)
                break
            except BufferError:
                p.poll(0.05)
        p.poll(0)
    left = p.flush(60)
    elapsed = time.monotonic() - start
    p.poll(0)
    return {"ok": left == 0 and not errors, "errors": errors[:3], "elapsed": elapsed, "maxThrottle": max(throttles, default=0)}


def consume():
    c = Consumer({**common, "group.id": "quota-test", "enable.auto.commit": False, "fetch.wait.max.ms": 100})
    c.assign([TopicPartition(args["topic"], 0, OFFSET_BEGINNING)])
    got = 0
    start = time.monotonic()
    deadline = start + 60
    while got < args["count"] and time.monotonic() < deadline:
        m = c.poll(0.5)
        if m is not None and m.error() is None:
            got += 1
    elapsed = time.monotonic() - start
    c.close()
    return {"ok": got == args["count"], "got": got, "elapsed": elapsed, "maxThrottle": max(throttles, default=0)}


print(json.dumps(produce() if args["mode"] == "produce" else consume()))
