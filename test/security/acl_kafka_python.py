"""kafka-python over SASL PLAIN: the admin manages ACLs with KafkaAdminClient, alice produces.

argv[1]: JSON {"bootstrap", "admin": [user, password], "alice": [user, password]}. Prints one JSON object.
"""
import json
import sys

from kafka import KafkaProducer
from kafka.admin import (ACL, ACLFilter, ACLOperation, ACLPermissionType, ACLResourcePatternType, KafkaAdminClient,
                         ResourcePattern, ResourcePatternFilter, ResourceType)
from kafka.errors import KafkaError


def sasl(user):
    return dict(security_protocol='SASL_PLAINTEXT', sasl_mechanism='PLAIN', sasl_plain_username=user[0], sasl_plain_password=user[1])


def described(acls):
    return sorted([a.principal, a.operation.name, a.permission_type.name, a.resource_pattern.resource_type.name,
                   a.resource_pattern.resource_name, a.resource_pattern.pattern_type.name] for a in acls)


def produce(bootstrap, user, topic):
    p = KafkaProducer(bootstrap_servers=bootstrap, client_id='kp-acl', max_block_ms=5000, retries=0, **sasl(user))
    try:
        p.send(topic, b'v', partition=0).get(timeout=10)
        return 'ok'
    except KafkaError as e:
        return type(e).__name__
    finally:
        p.close()


def main():
    a = json.loads(sys.argv[1])
    admin = KafkaAdminClient(bootstrap_servers=a['bootstrap'], client_id='kp-acl-admin', **sasl(a['admin']))
    obs = {}
    pattern = ResourcePattern(ResourceType.TOPIC, 'kp-', ACLResourcePatternType.PREFIXED)
    # DESCRIBE (not WRITE) on other-orders: metadata succeeds, so the refusal comes from Produce itself
    other = ResourcePattern(ResourceType.TOPIC, 'other-orders', ACLResourcePatternType.LITERAL)
    created = admin.create_acls([ACL('User:alice', '*', ACLOperation.WRITE, ACLPermissionType.ALLOW, pattern),
                                 ACL('User:alice', '*', ACLOperation.DESCRIBE, ACLPermissionType.ALLOW, other)])
    obs['created'] = len(created['succeeded'])
    obs['create_failed'] = len(created['failed'])
    any_topic = ResourcePatternFilter(ResourceType.TOPIC, None, ACLResourcePatternType.ANY)
    acls, err = admin.describe_acls(ACLFilter('User:alice', None, ACLOperation.ANY, ACLPermissionType.ANY, any_topic))
    obs['described'] = described(acls)
    obs['produce_allowed'] = produce(a['bootstrap'], a['alice'], 'kp-orders')
    obs['produce_denied'] = produce(a['bootstrap'], a['alice'], 'other-orders')
    prefixed = ResourcePatternFilter(ResourceType.TOPIC, 'kp-', ACLResourcePatternType.PREFIXED)
    deleted = admin.delete_acls([ACLFilter('User:alice', None, ACLOperation.ANY, ACLPermissionType.ANY, prefixed)])
    obs['deleted'] = [described([m[0] for m in matches]) for (_filter, matches, _err) in deleted]
    acls, err = admin.describe_acls(ACLFilter('User:alice', None, ACLOperation.ANY, ACLPermissionType.ANY, any_topic))
    obs['after_delete'] = described(acls)
    admin.close()
    print(json.dumps(obs))


main()
