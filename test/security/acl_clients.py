"""confluent-kafka (librdkafka) steps for the ACL tests; each prints one JSON object.

argv[1]: JSON {"conf": {...librdkafka settings...}, "action": str, ...}.
  produce      {"topic"}            -> {"delivered": bool, "errors": [error names]}
  metadata     {}                   -> {"topics": {name: error name or null}}
  group        {"topic", "group"}   -> {"errors": [error names], "messages": int}
  transaction  {"topic", "txn_id"}  -> {"ok": bool, "error": error name or null}
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer


def produce(conf, a):
    errors = []
    delivered = []
    p = Producer(dict(conf, **{"message.timeout.ms": 10000, "error_cb": lambda e: errors.append(e.name())}))

    def on_delivery(err, msg):
        if err is not None:
            errors.append(err.name())
        else:
            delivered.append(msg.offset())

    p.produce(a["topic"], value=b"v", partition=0, on_delivery=on_delivery)
    p.flush(15)
    return {"delivered": len(delivered) == 1, "errors": errors}


def metadata(conf, a):
    p = Producer(conf)
    md = p.list_topics(timeout=10)
    return {"topics": {name: (t.error.name() if t.error is not None else None) for name, t in md.topics.items()}}


def group(conf, a):
    errors = []
    c = Consumer(dict(conf, **{"group.id": a["group"], "auto.offset.reset": "earliest", "error_cb": lambda e: errors.append(e.name())}))
    c.subscribe([a["topic"]])
    messages = 0
    deadline = time.time() + 15
    while time.time() < deadline and not errors and messages == 0:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            errors.append(m.error().name())
        else:
            messages += 1
    c.close()
    return {"errors": errors, "messages": messages}


def transaction(conf, a):
    p = Producer(dict(conf, **{"transactional.id": a["txn_id"], "transaction.timeout.ms": 30000}))
    try:
        p.init_transactions(15)
        p.begin_transaction()
        p.produce(a["topic"], value=b"t", partition=0)
        p.commit_transaction(15)
        return {"ok": True, "error": None}
    except KafkaException as e:
        return {"ok": False, "error": e.args[0].name()}


def main():
    a = json.loads(sys.argv[1])
    action = {"produce": produce, "metadata": metadata, "group": group, "transaction": transaction}[a["action"]]
    print(json.dumps(action(dict(a["conf"]), a)))


main()
