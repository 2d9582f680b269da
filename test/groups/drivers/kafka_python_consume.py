"""kafka-python consumer for the restart test.

argv: bootstrap topic group count
Joins the group, consumes exactly `count` messages (or as many as arrive
within the deadline), commits their offsets synchronously, leaves, and prints
{"values": [...], "committed": {partition: offset}} as one JSON line.
"""
import json
import sys
import time

from kafka import KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

bootstrap, topic, group, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
consumer = KafkaConsumer(
    topic,
    bootstrap_servers=bootstrap,
    group_id=group,
    auto_offset_reset="earliest",
    enable_auto_commit=False,
    session_timeout_ms=6000,
    heartbeat_interval_ms=500,
    max_poll_records=1,
    api_version_auto_timeout_ms=10000,
)
values = []
positions = {}
deadline = time.time() + 40
while len(values) < count and time.time() < deadline:
    for tp, msgs in consumer.poll(timeout_ms=200, max_records=count - len(values)).items():
        for m in msgs:
            values.append(m.value.decode())
            positions[m.partition] = m.offset + 1
if positions:
    consumer.commit({TopicPartition(topic, p): OffsetAndMetadata(o, "") for p, o in positions.items()})
consumer.close()
print(json.dumps({"values": values, "committed": positions}))
