"""Drives Brook's admin APIs with confluent-kafka's AdminClient (librdkafka); prints one JSON line of observations."""
import json
import sys

from confluent_kafka.admin import AdminClient, ConfigResource, NewPartitions, NewTopic


def wait(futures):
    out = {}
    for key, f in futures.items():
        try:
            f.result(timeout=20)
            out[str(key)] = 'ok'
        except Exception as e:  # the error's Kafka name is what the test compares
            err = e.args[0] if e.args else e
            out[str(key)] = getattr(err, 'name', lambda: str(err))()
    return out


def entries(config_futures):
    res = {}
    for resource, f in config_futures.items():
        res[resource.name] = {
            name: {'value': e.value, 'source': int(e.source), 'read_only': e.is_read_only, 'sensitive': e.is_sensitive, 'synonyms': sorted(e.synonyms.keys())}
            for name, e in f.result(timeout=20).items()
        }
    return res


def main():
    bootstrap = sys.argv[1]
    admin = AdminClient({'bootstrap.servers': bootstrap})
    obs = {}
    obs['create'] = wait(admin.create_topics([
        NewTopic('py-topic', num_partitions=2, replication_factor=1, config={'retention.ms': '3600000', 'cleanup.policy': 'compact'}),
        NewTopic('py-bad', num_partitions=1, replication_factor=1, config={'retention.ms': 'never'}),
        NewTopic('py-rf', num_partitions=1, replication_factor=2),
    ], operation_timeout=10))
    obs['create_dry'] = wait(admin.create_topics([NewTopic('py-dry', num_partitions=1, replication_factor=1)], validate_only=True))
    obs['describe'] = entries(admin.describe_configs([ConfigResource('topic', 'py-topic')]))
    obs['describe_broker'] = entries(admin.describe_configs([ConfigResource('broker', '1')]))
    obs['alter'] = wait(admin.alter_configs([ConfigResource('topic', 'py-topic', set_config={'retention.ms': '60000', 'segment.bytes': '100000'})]))
    obs['after_alter'] = entries(admin.describe_configs([ConfigResource('topic', 'py-topic')]))
    obs['partitions'] = wait(admin.create_partitions([NewPartitions('py-topic', 4)]))
    md = admin.list_topics(timeout=10)
    obs['metadata'] = {name: len(t.partitions) for name, t in md.topics.items()}
    obs['delete'] = wait(admin.delete_topics(['py-topic', 'py-missing'], operation_timeout=10))
    print(json.dumps(obs))


main()
