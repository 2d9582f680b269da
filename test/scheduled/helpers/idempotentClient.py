"""confluent-kafka with enable.idempotence=True for the idempotent scheduling test.

usage: idempotentClient.py BOOTSTRAP produce TOPIC JSON_MESSAGES   -> one JSON line per delivery report
       idempotentClient.py BOOTSTRAP read TOPIC COUNT               -> one JSON line per record
"""
import json
import sys

from confluent_kafka import Consumer, Producer

bootstrap, command, topic = sys.argv[1], sys.argv[2], sys.argv[3]

if command == "produce":
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "linger.ms": 5, "acks": "all"})
    reports = []

    def report(err, msg):
        reports.append({"error": None if err is None else err.name(), "reason": None if err is None else err.str(), "value": msg.value().decode()})

    # all queued at once: scheduled and plain batches of the same producer in flight together (up to 5 requests)
    for m in json.loads(sys.argv[4]):
        producer.produce(topic, partition=0, key=m.get("key"), value=m.get("value"), headers=list((m.get("headers") or {}).items()), on_delivery=report)
        producer.poll(0)
    producer.flush(30)
    for r in reports:
        print(json.dumps(r), flush=True)
elif command == "read":
    count = int(sys.argv[4])
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "read-" + topic, "auto.offset.reset": "earliest", "enable.auto.commit": False})
    consumer.subscribe([topic])
    seen = 0
    while seen < count:
        msg = consumer.poll(1.0)
        if msg is None or msg.error():
            continue
        seen += 1
        headers = {k: (v.decode() if v is not None else None) for k, v in (msg.headers() or [])}
        print(json.dumps({"offset": msg.offset(), "key": msg.key().decode() if msg.key() else None, "value": msg.value().decode(), "headers": headers}), flush=True)
    consumer.close()
