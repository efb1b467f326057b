"""The independent Kafka client of csgen's tests and benchmark (confluent-kafka).

    kafka_check.py create BOOTSTRAP TOPIC PARTITIONS [KEY=VALUE ...]
        creates TOPIC with PARTITIONS partitions and the given topic configs.
    kafka_check.py read BOOTSTRAP TOPIC EXPECTED TIMEOUT_S [IDLE_S]
        reads every partition of TOPIC from the start and prints one JSON object per
        message ({"p", "o", "ts", "k", "v"}: partition, offset, timestamp in ms, key and
        value as text or null), until EXPECTED messages and then IDLE_S seconds without
        one (default 1, so that extra copies show), or TIMEOUT_S in all.
    kafka_check.py produce BOOTSTRAP TOPIC FILE LINGER_MS BATCH_RECORDS BATCH_BYTES
                   COMPRESSION ACKS IDEMPOTENCE
        sends each line of FILE as one message, keyless, in a tight loop with these
        producer settings, and prints {"records", "bytes", "seconds", "failed"}: the
        librdkafka ceiling scripts/bench-kafka.sh compares csgen's sink with.

    kafka_check.py committed BOOTSTRAP TOPIC GROUP
        prints the offsets GROUP has committed for TOPIC, {"PARTITION": OFFSET, ...}
        (-1001 for none), as consumer-lag tools see them.

Exit status 1 with the reason on stderr when the broker refuses or does not answer.
"""

import json
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic


def create(bootstrap, topic, partitions, *configs):
    admin = AdminClient({"bootstrap.servers": bootstrap})
    config = dict(c.split("=", 1) for c in configs)
    futures = admin.create_topics([NewTopic(topic, int(partitions), 1, config=config)])
    futures[topic].result(timeout=30)


def text(b):
    return None if b is None else b.decode("utf-8", "replace")


def read(bootstrap, topic, expected, timeout_s, idle_s="1"):
    expected, deadline, idle = int(expected), time.time() + float(timeout_s), float(idle_s)
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": "csgen-check",
            "enable.auto.commit": False,
            "auto.offset.reset": "earliest",
        }
    )
    meta = consumer.list_topics(topic, timeout=max(1.0, deadline - time.time()))
    partitions = meta.topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, 0) for p in partitions])
    count, last = 0, time.time()
    out = sys.stdout
    while time.time() < deadline:
        if count >= expected and time.time() - last >= idle:
            break
        for m in consumer.consume(1000, 0.2):
            if m.error():
                raise KafkaException(m.error())
            out.write(
                json.dumps(
                    {
                        "p": m.partition(),
                        "o": m.offset(),
                        "ts": m.timestamp()[1],
                        "k": text(m.key()),
                        "v": text(m.value()),
                    }
                )
                + "\n"
            )
            count += 1
            last = time.time()
    consumer.close()


def produce(bootstrap, topic, path, linger_ms, batch_records, batch_bytes, compression, acks, idem):
    with open(path, "rb") as f:
        records = f.read().splitlines()
    failed = []

    def report(err, _msg):
        if err is not None:
            failed.append(err)

    producer = Producer(
        {
            "bootstrap.servers": bootstrap,
            "linger.ms": float(linger_ms),
            "batch.num.messages": int(batch_records),
            "batch.size": int(batch_bytes),
            "compression.type": compression,
            "acks": acks,
            "enable.idempotence": idem == "true",
            "queue.buffering.max.messages": 100000,
        }
    )
    start = time.perf_counter()
    for r in records:
        while True:
            try:
                producer.produce(topic, r, on_delivery=report)
                break
            except BufferError:
                producer.poll(0.01)
        producer.poll(0)
    left = producer.flush(60)
    seconds = time.perf_counter() - start
    size = sum(len(r) for r in records)
    print(json.dumps({"records": len(records), "bytes": size, "seconds": seconds,
                      "failed": len(failed) + left}))


def committed(bootstrap, topic, group):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group,
                         "enable.auto.commit": False})
    meta = consumer.list_topics(topic, timeout=30)
    asked = [TopicPartition(topic, p) for p in meta.topics[topic].partitions]
    got = consumer.committed(asked, timeout=30)
    print(json.dumps({str(tp.partition): tp.offset for tp in got}))
    consumer.close()


if __name__ == "__main__":
    commands = {"create": create, "read": read, "produce": produce, "committed": committed}
    try:
        commands[sys.argv[1]](*sys.argv[2:])
    except (KafkaException, KeyError, IndexError, TypeError, ValueError) as e:
        print(f"kafka_check.py {' '.join(sys.argv[1:3])}: {e!r}", file=sys.stderr)
        sys.exit(1)
