"""confluent-kafka (librdkafka) steps for the view filter tests, one JSON command on stdin, one JSON line out:
create views of `source` (name -> filter) or alter view `view`'s filter, reporting each result's error code, or
consume a view from the earliest offset to its end (partition EOF) and list the keys of the records it served."""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaError, KafkaException
from confluent_kafka.admin import AdminClient, ConfigResource, NewTopic

args = json.loads(sys.stdin.read())
op = args['op']


def outcome(future):
    try:
        future.result()
        return {'ok': True}
    except KafkaException as e:
        err = e.args[0]
        return {'ok': False, 'code': err.name(), 'message': err.str()}


if op == 'create':
    admin = AdminClient({'bootstrap.servers': args['bootstrap']})
    out = {}
    for name, filt in args['views'].items():
        fs = admin.create_topics([NewTopic(name, 1, 1, config={'brook.view.of': args['source'], 'brook.view.filter': filt})], request_timeout=15)
        out[name] = outcome(fs[name])
    print(json.dumps(out))
elif op == 'alter':
    admin = AdminClient({'bootstrap.servers': args['bootstrap']})
    res = ConfigResource('topic', args['view'], set_config={'brook.view.of': args['source'], 'brook.view.filter': args['filter']})
    fs = admin.alter_configs([res], request_timeout=15)
    print(json.dumps(outcome(next(iter(fs.values())))))
else:
    c = Consumer({
        'bootstrap.servers': args['bootstrap'],
        'group.id': args['group'],
        'auto.offset.reset': 'earliest',
        'enable.partition.eof': True,
        'enable.auto.commit': False,
    })
    c.subscribe([args['topic']])
    keys = []
    result = {'ok': False, 'error': 'no partition EOF within 30 s'}
    deadline = time.time() + 30
    while time.time() < deadline:
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() == KafkaError._PARTITION_EOF:
                result = {'ok': True}
            else:
                result = {'ok': False, 'error': str(m.error())}
            break
        keys.append(m.key().decode())
    c.close()
    result['keys'] = keys
    print(json.dumps(result))
