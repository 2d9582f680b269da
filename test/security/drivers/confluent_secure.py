"""Produces messages and reads them back with confluent-kafka (librdkafka) using the given security settings.

argv[1]: JSON {"conf": {...librdkafka settings...}, "topic": str, "count": int}. Prints JSON on stdout.
"""
import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition, OFFSET_BEGINNING


def main():
    a = json.loads(sys.argv[1])
    conf = dict(a["conf"])
    errors = []
    conf["error_cb"] = lambda err: errors.append(str(err))
    p = Producer(dict(conf, **{"acks": "all", "message.timeout.ms": 15000}))
    delivered = []

    def on_delivery(err, msg):
        if err is not None:
            errors.append(str(err))
        else:
            delivered.append(msg.offset())

    for i in range(a["count"]):
        p.produce(a["topic"], value=("m%d" % i).encode(), partition=0, on_delivery=on_delivery)
    # An authentication failure is final: stop waiting for deliveries that cannot happen.
    deadline = time.time() + 20
    while len(p) > 0 and time.time() < deadline and not any("_AUTHENTICATION" in e for e in errors):
        p.poll(0.1)
    if len(delivered) != a["count"]:
        print(json.dumps({"ok": False, "stage": "produce", "errors": errors[:5]}))
        return
    c = Consumer(dict(conf, **{"group.id": "secure-" + a["topic"], "enable.auto.commit": False, "enable.partition.eof": True}))
    c.assign([TopicPartition(a["topic"], 0, OFFSET_BEGINNING)])
    values = []
    deadline = time.time() + 20
    while time.time() < deadline:
        m = c.poll(0.5)
        if m is None:
            continue
        if m.error():
            if m.error().code() == -191:  # _PARTITION_EOF
                break
            errors.append(str(m.error()))
            continue
        values.append(m.value().decode())
    c.close()
    print(json.dumps({"ok": True, "values": values, "errors": errors[:5]}))


if __name__ == "__main__":
    main()
