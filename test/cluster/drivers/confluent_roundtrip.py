"""confluent-kafka (librdkafka) against a Brook cluster: create a topic through the
admin API, produce numbered messages with idempotence and acks=all, read them back
with a consumer group.

argv: bootstrap topic partitions replication_factor count group
Prints one JSON line: {"created": ..., "delivered": n, "consumed": {partition: [values]}, "leaders": {...}}
"""
import json
import sys
import time

from confluent_kafka import Consumer, Producer
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, topic, partitions, rf, count, group = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]

admin = AdminClient({"bootstrap.servers": bootstrap})
futures = admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=rf)], operation_timeout=10)
futures[topic].result(timeout=30)

deadline = time.time() + 30
leaders = {}
while time.time() < deadline:
    md = admin.list_topics(topic, timeout=10)
    t = md.topics.get(topic)
    if t and t.error is None and len(t.partitions) == partitions and all(p.leader >= 0 for p in t.partitions.values()):
        leaders = {str(p.id): {"leader": p.leader, "replicas": list(p.replicas), "isr": list(p.isrs)} for p in t.partitions.values()}
        break
    time.sleep(0.1)

producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all", "linger.ms": 5})
delivered = 0
errors = []


def on_delivery(err, msg):
    global delivered
    if err is None:
        delivered += 1
    else:
        errors.append(str(err))


for i in range(count):
    producer.produce(topic, key=str(i), value=str(i), on_delivery=on_delivery)
    producer.poll(0)
producer.flush(30)

consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest", "enable.auto.commit": False, "session.timeout.ms": 10000})
consumer.subscribe([topic])
consumed = {}
seen = 0
deadline = time.time() + 60
while seen < delivered and time.time() < deadline:
    for m in consumer.consume(500, 1.0):
        if m.error():
            continue
        consumed.setdefault(str(m.partition()), []).append(int(m.value()))
        seen += 1
consumer.commit(asynchronous=False)
consumer.close()
print(json.dumps({"delivered": delivered, "errors": errors, "consumed": consumed, "leaders": leaders}))
