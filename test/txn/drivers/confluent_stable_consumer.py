"""A read_committed librdkafka consumer that starts from the group's committed offset (OffsetFetch with
require_stable) and prints the values of the first `count` messages it reads."""
import json
import sys
import time

from confluent_kafka import Consumer, TopicPartition

args = json.loads(sys.stdin.read())
c = Consumer({
    'bootstrap.servers': args['bootstrap'],
    'group.id': args['group'],
    'isolation.level': 'read_committed',
    'enable.auto.commit': False,
    'auto.offset.reset': 'earliest',
})
# no offset given: the consumer asks the group coordinator for the committed one
c.assign([TopicPartition(args['topic'], 0)])
got = []
deadline = time.time() + 30
while len(got) < args['count'] and time.time() < deadline:
    m = c.poll(0.2)
    if m is None:
        continue
    if m.error():
        print(json.dumps({'ok': False, 'error': str(m.error())}))
        sys.exit(0)
    got.append(m.value().decode())
c.close()
print(json.dumps({'ok': len(got) == args['count'], 'values': got}))
