"""A confluent-kafka (librdkafka) group member driven by a test.

argv: bootstrap topic group session_ms [instance_id or "-"] [assignment strategy]
Prints one JSON line per event on stdout:
  {"ev": "assigned", "partitions": [...]}, {"ev": "revoked", "partitions": [...]},
  {"ev": "msg", "p": partition, "o": offset, "v": value}
Each message's offset is committed synchronously after it is printed, so a
SIGKILL loses at most the message being handled. Runs until stdin closes.
"""
import json
import os
import select
import sys

from confluent_kafka import Consumer, TopicPartition

bootstrap, topic, group, session_ms = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
instance = sys.argv[5] if len(sys.argv) > 5 and sys.argv[5] != "-" else None
strategy = sys.argv[6] if len(sys.argv) > 6 else None


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


conf = {
    "bootstrap.servers": bootstrap,
    "group.id": group,
    "session.timeout.ms": session_ms,
    "heartbeat.interval.ms": max(100, session_ms // 10),
    "auto.offset.reset": "earliest",
    "enable.auto.commit": False,
    "topic.metadata.refresh.interval.ms": 1000,
}
if instance:
    conf["group.instance.id"] = instance
if strategy:
    conf["partition.assignment.strategy"] = strategy
if os.environ.get("BROOK_RDKAFKA_DEBUG"):
    conf["debug"] = os.environ["BROOK_RDKAFKA_DEBUG"]
consumer = Consumer(conf)


def on_assign(c, parts):
    emit({"ev": "assigned", "partitions": sorted(p.partition for p in parts), "incremental": strategy == "cooperative-sticky"})


def on_revoke(c, parts):
    emit({"ev": "revoked", "partitions": sorted(p.partition for p in parts)})


consumer.subscribe([topic], on_assign=on_assign, on_revoke=on_revoke)
emit({"ev": "started"})
try:
    while True:
        r, _, _ = select.select([sys.stdin], [], [], 0)
        if r and not sys.stdin.readline():
            break
        msg = consumer.poll(0.1)
        if msg is None:
            continue
        if msg.error():
            emit({"ev": "error", "error": str(msg.error())})
            continue
        emit({"ev": "msg", "p": msg.partition(), "o": msg.offset(), "v": msg.value().decode()})
        consumer.commit(offsets=[TopicPartition(topic, msg.partition(), msg.offset() + 1)], asynchronous=False)
finally:
    # A clean stop leaves the group (static members do not: that is their point).
    consumer.close()
    emit({"ev": "closed"})
