"""Produces three messages and reads them back with kafka-python over SASL_PLAINTEXT. argv[1]: JSON {bootstrap, mech, user, password, topic}."""
import json, logging, sys
from kafka import KafkaProducer, KafkaConsumer, TopicPartition
a = json.loads(sys.argv[1])


class Keep(logging.Handler):
    """Keeps kafka-python's error log lines: a login refused by closing the connection shows only there (the exception says NoBrokersAvailable)."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.lines = []

    def emit(self, record):
        self.lines.append(record.getMessage())


keep = Keep()
logging.getLogger("kafka").addHandler(keep)
logging.getLogger("kafka").setLevel(logging.ERROR)
conf = dict(bootstrap_servers=a["bootstrap"], security_protocol="SASL_PLAINTEXT", sasl_mechanism=a["mech"], sasl_plain_username=a["user"], sasl_plain_password=a["password"])
try:
    p = KafkaProducer(**conf, request_timeout_ms=5000, max_block_ms=3000)
    for i in range(3):
        p.send(a["topic"], value=("m%d" % i).encode(), partition=0)
    p.flush(10)
    p.close()
    c = KafkaConsumer(**conf, consumer_timeout_ms=1500, auto_offset_reset="earliest", enable_auto_commit=False)
    tp = TopicPartition(a["topic"], 0)
    c.assign([tp]); c.seek_to_beginning(tp)
    vals = [m.value.decode() for m in c]
    c.close()
    print(json.dumps({"ok": True, "values": vals}))
except Exception as e:
    print(json.dumps({"ok": False, "error": "%s: %s" % (type(e).__name__, e), "logged": keep.lines[:10]}))
