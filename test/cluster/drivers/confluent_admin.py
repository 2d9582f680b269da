"""confluent-kafka (librdkafka) admin client for cluster-operation tests: AlterConfigs and
DescribeConfigs on BROKER/TOPIC resources (the empty broker name is the cluster-wide default),
and replicas/ISR from Metadata. JSON in on argv[1], JSON out on stdout."""
import json
import sys

from confluent_kafka.admin import AdminClient, ConfigResource


def resource(r):
    return ConfigResource(r["type"], r["name"], set_config=r.get("configs"))


def main(a):
    admin = AdminClient({"bootstrap.servers": a["bootstrap"]})
    if a["op"] == "alter":
        out = {}
        for res, fut in admin.alter_configs([resource(r) for r in a["resources"]], request_timeout=15).items():
            try:
                fut.result(timeout=30)
                out[res.name] = None
            except Exception as e:  # the broker's error for this resource
                out[res.name] = str(e)
        return out
    if a["op"] == "describe":
        out = {}
        for res, fut in admin.describe_configs([resource(a["resource"])], request_timeout=15).items():
            for name, entry in fut.result(timeout=30).items():
                if name in a["keys"]:
                    out[name] = {"value": entry.value, "source": entry.source, "readOnly": entry.is_read_only}
        return out
    if a["op"] == "metadata":
        md = admin.list_topics(a["topic"], timeout=15)
        t = md.topics[a["topic"]]
        return {str(p.id): {"leader": p.leader, "replicas": list(p.replicas), "isr": sorted(p.isrs)} for p in t.partitions.values()}
    raise SystemExit("unknown op " + a["op"])


if __name__ == "__main__":
    print(json.dumps(main(json.loads(sys.argv[1]))))
