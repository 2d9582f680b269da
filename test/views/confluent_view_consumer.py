"""A librdkafka (confluent-kafka) group consumer of one topic: reads from the earliest offset until `count` records
arrived (or 30 s), commits, and prints the records (partition, offset, value, tag) and the committed offsets."""
import json
import sys
import time

from confluent_kafka import Consumer, libversion

args = json.loads(sys.stdin.read())
c = Consumer({
    'bootstrap.servers': args['bootstrap'],
    'group.id': args['group'],
    'isolation.level': args.get('isolation', 'read_committed'),
    'enable.auto.commit': False,
    'auto.offset.reset': 'earliest',
})
c.subscribe([args['topic']])
got = []
deadline = time.time() + 30
while len(got) < args['count'] and time.time() < deadline:
    m = c.poll(0.2)
    if m is None:
        continue
    if m.error():
        print(json.dumps({'ok': False, 'error': str(m.error())}))
        sys.exit(0)
    got.append({'partition': m.partition(), 'offset': m.offset(), 'value': m.value().decode()})
committed = []
if got:
    c.commit(asynchronous=False)
    committed = [{'partition': tp.partition, 'offset': tp.offset} for tp in c.committed(c.assignment(), timeout=10)]
c.close()
print(json.dumps({'ok': True, 'records': got, 'committed': committed, 'librdkafka': libversion()[0]}))
