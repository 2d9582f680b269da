"""Drives Brook's admin APIs with kafka-python's KafkaAdminClient; prints one JSON line of observations."""
import json
import sys

from kafka.admin import ConfigResource, ConfigResourceType, KafkaAdminClient, NewPartitions, NewTopic
from kafka.errors import KafkaError


def error_name(fn):
    try:
        fn()
        return 'ok'
    except KafkaError as e:
        return type(e).__name__


def configs_of(response):
    # DescribeConfigs response: resources = [(error_code, error_message, type, name, [(name, value, read_only, ...), ...])]
    out = {}
    for res in response.resources:
        out[res[3]] = {entry[0]: entry[1] for entry in res[4]}
    return out


def main():
    admin = KafkaAdminClient(bootstrap_servers=sys.argv[1], client_id='brook-kafka-python-admin')
    obs = {}
    obs['create'] = error_name(lambda: admin.create_topics([NewTopic('kp-topic', 2, 1, topic_configs={'retention.ms': '7200000'})]))
    obs['create_again'] = error_name(lambda: admin.create_topics([NewTopic('kp-topic', 2, 1)]))
    obs['create_bad_config'] = error_name(lambda: admin.create_topics([NewTopic('kp-bad', 1, 1, topic_configs={'segment.bytes': 'big'})]))
    described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, 'kp-topic')])
    obs['describe'] = configs_of(described[0] if isinstance(described, list) else described)
    alter = admin.alter_configs([ConfigResource(ConfigResourceType.TOPIC, 'kp-topic', configs={'retention.ms': '1000', 'segment.ms': '500000'})])
    obs['alter'] = [r[0] for r in alter.resources]
    described = admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, 'kp-topic', configs={'retention.ms': None, 'segment.ms': None})])
    obs['after_alter'] = configs_of(described[0] if isinstance(described, list) else described)
    obs['partitions'] = error_name(lambda: admin.create_partitions({'kp-topic': NewPartitions(3)}))
    obs['shrink'] = error_name(lambda: admin.create_partitions({'kp-topic': NewPartitions(1)}))
    obs['cluster'] = admin.describe_cluster()
    obs['delete'] = error_name(lambda: admin.delete_topics(['kp-topic']))
    obs['topics'] = sorted(admin.list_topics())
    admin.close()
    print(json.dumps(obs, default=str))


main()
