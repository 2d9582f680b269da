"""confluent-kafka side of the scheduled-delivery failover tests (test/scheduled/scheduledFailover.test.ts).

usage: clusterClient.py BOOTSTRAP produce TOPIC PARTITIONS COUNT PREFIX FIRST_DUE_MS WINDOW_MS
           -> one JSON line: {"acked": [values], "failed": [[value, error]]}
           record i: key PREFIX-i, value PREFIX-i, partition i % PARTITIONS, brook-deliver-at spread evenly
           over [FIRST_DUE_MS, FIRST_DUE_MS + WINDOW_MS); acks=all, no retries (a failure is reported, never
           resent), so "acked" is exactly what the broker acknowledged.
       clusterClient.py BOOTSTRAP read TOPIC PARTITIONS
           -> one JSON line per record of every partition, from its start to its high watermark:
              {"p": partition, "o": offset, "v": value, "s": brook-scheduled-offset header}
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING

bootstrap, command, topic, partitions = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])

if command == "produce":
    count, prefix, first_due, window = int(sys.argv[5]), sys.argv[6], int(sys.argv[7]), int(sys.argv[8])
    producer = Producer({
        "bootstrap.servers": bootstrap,
        "acks": "all",
        "enable.idempotence": False,
        "message.send.max.retries": 0,
        "linger.ms": 5,
        "message.timeout.ms": 60000,
    })
    acked, failed = [], []

    def report(err, msg):
        value = msg.value().decode()
        if err is None:
            acked.append(value)
        else:
            failed.append([value, err.name()])

    for i in range(count):
        value = f"{prefix}-{i}"
        due = first_due + (i * window) // count
        while True:
            try:
                producer.produce(topic, key=value, value=value, partition=i % partitions,
                                 headers=[("brook-deliver-at", str(due))], on_delivery=report)
                break
            except BufferError:
                producer.poll(0.1)
        producer.poll(0)
    producer.flush(90)
    print(json.dumps({"acked": acked, "failed": failed}), flush=True)
elif command == "read":
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "failover-read", "enable.auto.commit": False,
                         "auto.offset.reset": "earliest"})
    highs = {}
    for p in range(partitions):
        low, high = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
        highs[p] = high
    consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in range(partitions) if highs[p] > 0])
    remaining = {p for p in range(partitions) if highs[p] > 0}
    deadline = time.monotonic() + 120
    while remaining:
        if time.monotonic() > deadline:
            sys.exit(f"read {topic}: partitions {sorted(remaining)} not read to their high watermark in 120 s")
        msg = consumer.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            continue
        p, o = msg.partition(), msg.offset()
        headers = dict(msg.headers() or [])
        s = headers.get("brook-scheduled-offset")
        print(json.dumps({"p": p, "o": o, "v": msg.value().decode() if msg.value() else None,
                          "s": s.decode() if s is not None else None}), flush=True)
        if o + 1 >= highs[p]:
            remaining.discard(p)
    consumer.close()
