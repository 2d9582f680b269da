"""Produces N messages with an idempotent librdkafka producer; prints one JSON line with the delivery outcome."""
import json
import sys

from confluent_kafka import Producer

args = json.loads(sys.stdin.read())
p = Producer({
    'bootstrap.servers': args['bootstrap'],
    'enable.idempotence': True,
    'linger.ms': 5,
    'batch.num.messages': args.get('batch', 10),
    'message.timeout.ms': 60000,
    'reconnect.backoff.ms': 20,
    'retry.backoff.ms': 20,
})
errors = []
delivered = []


def report(err, msg):
    if err is not None:
        errors.append(str(err))
    else:
        delivered.append(msg.offset())


for i in range(args['count']):
    p.produce(args['topic'], value=('m%d' % i).encode(), partition=0, on_delivery=report)
    p.poll(0)
left = p.flush(60)
print(json.dumps({'ok': not errors and left == 0, 'error': '; '.join(errors[:5]) or None, 'delivered': len(delivered)}))
