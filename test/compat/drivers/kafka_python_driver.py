"""Drives kafka-python through one compat step; JSON in on stdin, JSON out on stdout."""
import json
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic


def create_topic(a):
    admin = KafkaAdminClient(bootstrap_servers=a["bootstrap"])
    admin.create_topics([NewTopic(a["topic"], num_partitions=a["partitions"], replication_factor=1)])
    admin.close()
    return {"ok": True}


def delete_topic(a):
    admin = KafkaAdminClient(bootstrap_servers=a["bootstrap"])
    admin.delete_topics([a["topic"]])
    admin.close()
    return {"ok": True}


def produce(a):
    codec = None if a["codec"] == "none" else a["codec"]
    p = KafkaProducer(bootstrap_servers=a["bootstrap"], compression_type=codec, acks="all", linger_ms=5)
    futures = []
    for m in a["messages"]:
        futures.append(p.send(a["topic"], key=m["key"].encode(), value=m["value"].encode(),
                              partition=m["partition"], headers=[(k, v.encode()) for k, v in m["headers"]],
                              timestamp_ms=m["timestamp"]))
    for f in futures:
        f.get(timeout=30)
    p.close()
    return {"ok": True}


def consume(a):
    c = KafkaConsumer(bootstrap_servers=a["bootstrap"], group_id=None, enable_auto_commit=False,
                      auto_offset_reset="earliest")
    tps = [TopicPartition(a["topic"], p) for p in range(a["partitions"])]
    c.assign(tps)
    c.seek_to_beginning(*tps)
    out = []
    deadline = time.time() + a.get("timeoutS", 30)
    while len(out) < a["expected"] and time.time() < deadline:
        batch = c.poll(timeout_ms=500)
        for tp, msgs in batch.items():
            for msg in msgs:
                out.append({
                    "partition": msg.partition, "offset": msg.offset,
                    "key": msg.key.decode() if msg.key is not None else None,
                    "value": msg.value.decode() if msg.value is not None else None,
                    "headers": [[k, v.decode()] for k, v in (msg.headers or [])],
                    "timestamp": msg.timestamp,
                })
    c.close()
    return {"ok": True, "messages": out}


def list_offsets(a):
    c = KafkaConsumer(bootstrap_servers=a["bootstrap"], group_id=None)
    tps = [TopicPartition(a["topic"], p) for p in range(a["partitions"])]
    lo = c.beginning_offsets(tps)
    hi = c.end_offsets(tps)
    c.close()
    return {"ok": True, "offsets": {str(tp.partition): [lo[tp], hi[tp]] for tp in tps}}


def to_consumed(m):
    return {"partition": m.partition, "offset": m.offset,
            "key": m.key.decode() if m.key is not None else None,
            "value": m.value.decode() if m.value is not None else None,
            "headers": [[k, v.decode()] for k, v in (m.headers or [])], "timestamp": m.timestamp}


def poll_until(c, expected, timeout_s):
    out = []
    deadline = time.time() + timeout_s
    while len(out) < expected and time.time() < deadline:
        for _tp, records in c.poll(timeout_ms=500).items():
            out.extend(to_consumed(m) for m in records)
    if len(out) < expected:
        raise RuntimeError("consumed %d of %d" % (len(out), expected))
    return out


def group(a):
    c = KafkaConsumer(a["topic"], bootstrap_servers=a["bootstrap"], group_id=a["group"], enable_auto_commit=False,
                      auto_offset_reset="earliest")
    out = poll_until(c, a["expected"], 40)
    c.commit()  # the positions of everything consumed
    c.close()
    return {"ok": True, "messages": out}


def secure(a):
    conf = dict(bootstrap_servers=a["bootstrap"], security_protocol="SASL_SSL", sasl_mechanism=a["mechanism"],
                sasl_plain_username=a["username"], sasl_plain_password=a["password"], ssl_cafile=a["caFile"])
    p = KafkaProducer(acks="all", **conf)
    for v in a["values"]:
        p.send(a["topic"], value=v.encode(), partition=0).get(timeout=30)
    p.close()
    c = KafkaConsumer(group_id=None, enable_auto_commit=False, auto_offset_reset="earliest", **conf)
    c.assign([TopicPartition(a["topic"], 0)])
    c.seek_to_beginning()
    out = poll_until(c, len(a["values"]), 30)
    c.close()
    return {"ok": True, "values": [m["value"] for m in out]}


def version(_a):
    import kafka
    return {"ok": True, "version": kafka.__version__}


STEPS = {"create": create_topic, "delete": delete_topic, "produce": produce, "consume": consume,
         "offsets": list_offsets, "group": group, "secure": secure, "version": version}

if __name__ == "__main__":
    step = sys.argv[1]
    args = json.loads(sys.stdin.read())
    try:
        print(json.dumps(STEPS[step](args)))
    except Exception as e:  # the harness reports the failure in its matrix
        print(json.dumps({"ok": False, "error": "%s: %s" % (type(e).__name__, e)}))
