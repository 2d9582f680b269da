"""kafka-python group reader for cluster fault tests: reads numbered messages one at a time and commits each
one's offset synchronously before reading the next, so after a coordinator failover it must resume exactly
after the last commit. JSON in on argv[1] (bootstrap, topic, group, expected, timeoutS), JSON out on stdout:
the numbers read per partition in order, the commits that failed and were retried, and the seconds taken.

Not librdkafka: with a commit in flight while its coordinator dies, librdkafka (2.0.2 and 2.15.1 alike) can
loop for tens of seconds between "coordinator is N" and "marking the coordinator dead" (each change of its
coordinator connection's address fails the queued OffsetCommit, and that failure clears the address again),
which measures the client's state machine, not the broker's failover."""
import json
import sys
import time

from kafka import KafkaConsumer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata


def main(a):
    c = KafkaConsumer(
        a["topic"],
        bootstrap_servers=a["bootstrap"].split(","),
        group_id=a["group"],
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=1,
        metadata_max_age_ms=1000,
        api_version_auto_timeout_ms=10000,
    )
    read = {}
    total = 0
    commit_retries = 0
    started = time.time()
    deadline = started + a.get("timeoutS", 60)
    while total < a["expected"] and time.time() < deadline:
        for tp, msgs in c.poll(timeout_ms=500, max_records=1).items():
            for m in msgs:
                read.setdefault(str(m.partition), []).append(int(m.value.decode()))
                total += 1
                while time.time() < deadline:
                    try:
                        c.commit({TopicPartition(m.topic, m.partition): OffsetAndMetadata(m.offset + 1, "")})
                        break
                    except KafkaError:
                        commit_retries += 1
                        time.sleep(0.1)
    c.close(autocommit=False)
    return {"read": read, "commitRetries": commit_retries, "seconds": round(time.time() - started, 1)}


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
