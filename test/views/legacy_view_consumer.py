"""A consumer that speaks the old Fetch versions (message formats v0/v1) to one topic: kafka-python with a fixed
api_version, or librdkafka (confluent-kafka) with api.version.request=false and broker.version.fallback. It assigns
every partition from the earliest offset, reads until `count` records arrived and every partition's position reached
`ends` (or 30 s), and prints the records and the final positions as JSON."""
import json
import sys
import time

args = json.loads(sys.stdin.read())
topic = args['topic']
parts = list(range(args['partitions']))
ends = {int(k): v for k, v in args.get('ends', {}).items()}
got = []
positions = {}
deadline = time.time() + 30


def done():
    return len(got) >= args['count'] and all(positions.get(p, -1) >= e for p, e in ends.items())


if args['client'] == 'kafka-python':
    from kafka import KafkaConsumer, TopicPartition
    c = KafkaConsumer(bootstrap_servers=args['bootstrap'], api_version=tuple(args['api_version']), enable_auto_commit=False,
                      group_id=None, fetch_max_wait_ms=100, max_partition_fetch_bytes=args.get('max_partition_fetch_bytes', 1048576))
    tps = [TopicPartition(topic, p) for p in parts]
    c.assign(tps)
    c.seek_to_beginning(*tps)
    while not done() and time.time() < deadline:
        for tp, msgs in c.poll(timeout_ms=200).items():
            for m in msgs:
                got.append({'partition': tp.partition, 'offset': m.offset, 'value': m.value.decode()})
        for tp in tps:
            positions[tp.partition] = c.position(tp)
    c.close()
else:
    from confluent_kafka import Consumer, TopicPartition, OFFSET_BEGINNING
    c = Consumer({'bootstrap.servers': args['bootstrap'], 'group.id': 'legacy-view', 'enable.auto.commit': False,
                  'api.version.request': False, 'broker.version.fallback': args['fallback'], 'fetch.wait.max.ms': 100})
    c.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for p in parts])
    while not done() and time.time() < deadline:
        m = c.poll(0.2)
        if m is not None:
            if m.error():
                print(json.dumps({'ok': False, 'error': str(m.error())}))
                sys.exit(0)
            got.append({'partition': m.partition(), 'offset': m.offset(), 'value': m.value().decode()})
        for tp in c.position([TopicPartition(topic, p) for p in parts]):
            positions[tp.partition] = tp.offset
    c.close()
print(json.dumps({'ok': True, 'records': got, 'positions': positions}))
