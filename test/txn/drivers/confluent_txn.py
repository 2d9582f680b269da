"""librdkafka transactions: 'produce' commits, aborts, commits; 'consume' reads a partition with an isolation level;
'ctp' runs a consume-transform-produce loop with the consumed offsets committed in each transaction."""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition

step = sys.argv[1]
args = json.loads(sys.stdin.read())

if step == 'produce':
    p = Producer({'bootstrap.servers': args['bootstrap'], 'transactional.id': args['txnId'], 'linger.ms': 1})
    p.init_transactions(30)
    for label, n, commit in args['plan']:
        p.begin_transaction()
        for i in range(n):
            p.produce(args['topic'], value=('%s-%d' % (label, i)).encode(), partition=0)
        if commit:
            p.commit_transaction(30)
        else:
            p.flush(30)
            p.abort_transaction(30)
    print(json.dumps({'ok': True}))
elif step == 'consume':
    c = Consumer({
        'bootstrap.servers': args['bootstrap'],
        'group.id': args['group'],
        'isolation.level': args['isolation'],
        'enable.auto.commit': False,
        'enable.partition.eof': True,
    })
    c.assign([TopicPartition(args['topic'], 0, 0)])
    got = []
    deadline = time.time() + 30
    while time.time() < deadline:
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() == -191:  # partition EOF: everything up to the (stable) end was read
                break
            print(json.dumps({'ok': False, 'error': str(m.error())}))
            sys.exit(0)
        got.append(m.value().decode())
    c.close()
    print(json.dumps({'ok': True, 'values': got}))
elif step == 'ctp':
    c = Consumer({
        'bootstrap.servers': args['bootstrap'],
        'group.id': args['group'],
        'isolation.level': 'read_committed',
        'enable.auto.commit': False,
        'auto.offset.reset': 'earliest',
    })
    p = Producer({'bootstrap.servers': args['bootstrap'], 'transactional.id': args['txnId'], 'linger.ms': 1})
    p.init_transactions(30)
    c.subscribe([args['input']])
    done = 0
    deadline = time.time() + 60
    while done < args['count'] and time.time() < deadline:
        msgs = c.consume(num_messages=7, timeout=0.2)
        msgs = [m for m in msgs if m.error() is None]
        if not msgs:
            continue
        p.begin_transaction()
        for m in msgs:
            p.produce(args['output'], value=m.value().upper(), partition=0)
        p.send_offsets_to_transaction(c.position(c.assignment()), c.consumer_group_metadata(), 30)
        p.commit_transaction(30)
        done += len(msgs)
    c.close()
    print(json.dumps({'ok': done == args['count'], 'error': None if done == args['count'] else 'processed %d' % done, 'processed': done}))
