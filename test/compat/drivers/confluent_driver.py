"""Drives librdkafka (confluent-kafka) through one compat step; JSON in on argv, JSON out on stdout."""
import json
import sys
import time

from confluent_kafka import Consumer, Producer, TopicPartition, OFFSET_BEGINNING
from confluent_kafka.admin import AdminClient, NewTopic


def create_topic(a):
    admin = AdminClient({"bootstrap.servers": a["bootstrap"]})
    fs = admin.create_topics([NewTopic(a["topic"], num_partitions=a["partitions"], replication_factor=1)],
                             operation_timeout=10, request_timeout=15)
    for _, f in fs.items():
        f.result(timeout=20)
    return {"ok": True}


def delete_topic(a):
    admin = AdminClient({"bootstrap.servers": a["bootstrap"]})
    fs = admin.delete_topics([a["topic"]], operation_timeout=10, request_timeout=15)
    for _, f in fs.items():
        f.result(timeout=20)
    return {"ok": True}


def produce(a):
    p = Producer({
        "bootstrap.servers": a["bootstrap"],
        "compression.type": a["codec"],
        "linger.ms": 5,
        "acks": "all",
    })
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))

    for m in a["messages"]:
        p.produce(a["topic"], key=m["key"].encode(), value=m["value"].encode(), partition=m["partition"],
                  headers=[(k, v.encode()) for k, v in m["headers"]], timestamp=m["timestamp"],
                  on_delivery=on_delivery)
        p.poll(0)
    left = p.flush(30)
    if left or errors:
        return {"ok": False, "error": "undelivered=%d errors=%s" % (left, errors[:5])}
    return {"ok": True}


def consume(a):
    c = Consumer({
        "bootstrap.servers": a["bootstrap"],
        "group.id": a.get("group", "compat-confluent"),
        "enable.auto.commit": False,
        "enable.partition.eof": True,
    })
    c.assign([TopicPartition(a["topic"], p, OFFSET_BEGINNING) for p in range(a["partitions"])])
    out = []
    eof = set()
    deadline = time.time() + a.get("timeoutS", 30)
    while len(out) < a["expected"] or len(eof) < a["partitions"]:
        if time.time() > deadline:
            break
        msg = c.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            if msg.error().code() == -191:  # _PARTITION_EOF
                eof.add(msg.partition())
                continue
            return {"ok": False, "error": str(msg.error())}
        eof.discard(msg.partition())
        out.append({
            "partition": msg.partition(), "offset": msg.offset(),
            "key": msg.key().decode() if msg.key() is not None else None,
            "value": msg.value().decode() if msg.value() is not None else None,
            "headers": [[k, v.decode()] for k, v in (msg.headers() or [])],
            "timestamp": msg.timestamp()[1],
        })
    c.close()
    return {"ok": True, "messages": out}


def list_offsets(a):
    c = Consumer({"bootstrap.servers": a["bootstrap"], "group.id": "compat-offsets", "enable.auto.commit": False})
    res = {}
    for p in range(a["partitions"]):
        lo, hi = c.get_watermark_offsets(TopicPartition(a["topic"], p), timeout=10)
        res[str(p)] = [lo, hi]
    c.close()
    return {"ok": True, "offsets": res}


def to_consumed(msg):
    return {
        "partition": msg.partition(), "offset": msg.offset(),
        "key": msg.key().decode() if msg.key() is not None else None,
        "value": msg.value().decode() if msg.value() is not None else None,
        "headers": [[k, v.decode()] for k, v in (msg.headers() or [])],
        "timestamp": msg.timestamp()[1],
    }


def poll_until(c, expected, timeout_s):
    out = []
    deadline = time.time() + timeout_s
    while len(out) < expected and time.time() < deadline:
        msg = c.poll(0.5)
        if msg is None:
            continue
        if msg.error():
            raise RuntimeError(str(msg.error()))
        out.append(to_consumed(msg))
    if len(out) < expected:
        raise RuntimeError("consumed %d of %d" % (len(out), expected))
    return out


def group(a):
    conf = {"bootstrap.servers": a["bootstrap"], "group.id": a["group"], "enable.auto.commit": False,
            "auto.offset.reset": "earliest"}
    if a["protocol"] == "consumer":
        conf["group.protocol"] = "consumer"
    c = Consumer(conf)
    c.subscribe([a["topic"]])
    out = poll_until(c, a["expected"], 40)
    c.commit(asynchronous=False)  # the positions of everything consumed
    c.close()
    return {"ok": True, "messages": out}


def send_all(p, topic, messages):
    errors = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))

    for m in messages:
        p.produce(topic, key=m["key"].encode(), value=m["value"].encode(), partition=m["partition"],
                  headers=[(k, v.encode()) for k, v in m["headers"]], on_delivery=on_delivery)
        p.poll(0)
    left = p.flush(30)
    if left or errors:
        raise RuntimeError("undelivered=%d errors=%s" % (left, errors[:5]))


def txn(a):
    p = Producer({"bootstrap.servers": a["bootstrap"], "transactional.id": a["transactionalId"]})
    p.init_transactions(15)
    p.begin_transaction()
    send_all(p, a["topic"], a["committed"])
    p.commit_transaction(15)
    p.begin_transaction()
    # flushed before the abort, so the aborted records really are in the log (an abort purges unsent ones)
    send_all(p, a["topic"], a["aborted"])
    p.abort_transaction(15)
    return {"ok": True}


def secure(a):
    conf = {"bootstrap.servers": a["bootstrap"], "security.protocol": "SASL_SSL", "sasl.mechanisms": a["mechanism"],
            "sasl.username": a["username"], "sasl.password": a["password"], "ssl.ca.location": a["caFile"]}
    p = Producer(conf)
    send_all(p, a["topic"], [{"key": "k", "value": v, "partition": 0, "headers": []} for v in a["values"]])
    c = Consumer(dict(conf, **{"group.id": "compat-secure", "enable.auto.commit": False}))
    c.assign([TopicPartition(a["topic"], 0, OFFSET_BEGINNING)])
    out = poll_until(c, len(a["values"]), 30)
    c.close()
    return {"ok": True, "values": [m["value"] for m in out]}


def version(_a):
    import confluent_kafka
    return {"ok": True, "version": "%s (librdkafka %s)" % (confluent_kafka.version()[0], confluent_kafka.libversion()[0])}


STEPS = {"create": create_topic, "delete": delete_topic, "produce": produce, "consume": consume,
         "offsets": list_offsets, "group": group, "txn": txn, "secure": secure, "version": version}

if __name__ == "__main__":
    step = sys.argv[1]
    args = json.loads(sys.stdin.read())
    try:
        print(json.dumps(STEPS[step](args)))
    except Exception as e:  # the harness reports the failure in its matrix
        print(json.dumps({"ok": False, "error": "%s: %s" % (type(e).__name__, e)}))
