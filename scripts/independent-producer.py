#!/usr/bin/python3
"""An AI detector written from CONTRACT §1 alone, with none of CyberMesh's
code: Debian's python3-confluent-kafka publishes, PyNaCl signs, and the
protobuf message is encoded by hand from the field table. The multi-process
test `anIndependentPythonProducersEventsAreCommittedOrDeadLettered` runs it
to check that the contract, not the project's own encoder, is what the
ingestor accepts.

    independent-producer.py BROKERS PRODUCER_ID SEED_HEX COUNT_PER_KIND

Publishes COUNT_PER_KIND events of each kind (valid, and one per dead-letter
reason it can make) and prints one JSON line per acknowledged record:
{"kind", "tx_id", "topic", "partition", "offset"}.
"""
import hashlib
import json
import os
import sys
import time

import nacl.signing
from confluent_kafka import Producer

TOPICS = {"ai.anomaly.v1": "ai.anomalies.v1", "ai.evidence.v1": "ai.evidence.v1", "ai.policy.v1": "ai.policy.v1"}


def varint(value):
    out = bytearray()
    value &= (1 << 64) - 1  # int64 as two's complement
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_bytes(number, data):
    return varint((number << 3) | 2) + varint(len(data)) + data


def field_int(number, value):
    return varint(number << 3) + varint(value)


def sign_bytes(domain, timestamp_ms, producer_id, nonce, content_hash):
    d = domain.encode()
    p = producer_id.encode()
    return (b"cybermesh.event.v1\x00" + bytes([len(d)]) + d + timestamp_ms.to_bytes(8, "big", signed=True)
            + bytes([len(p)]) + p + nonce + content_hash)


def event(key, producer_id, domain, payload, timestamp_ms, tamper=None):
    nonce = os.urandom(16)
    content_hash = hashlib.sha256(payload).digest()
    message = sign_bytes(domain, timestamp_ms, producer_id, nonce, content_hash)
    signature = key.sign(message).signature
    if tamper == "signature":
        signature = bytes([signature[0] ^ 1]) + signature[1:]
    if tamper == "payload":
        payload = payload[:-1] + b',"x":1}'
    value = (field_bytes(1, domain.encode()) + field_int(2, timestamp_ms) + field_bytes(3, producer_id.encode())
             + field_bytes(4, nonce) + field_bytes(5, content_hash) + field_bytes(6, payload) + field_bytes(7, signature))
    return value, hashlib.sha256(message).hexdigest()


def payload_for(domain, n):
    if domain == "ai.anomaly.v1":
        body = {"id": f"py-a-{n}-{os.urandom(4).hex()}", "type": "beaconing", "severity": 1 + n % 10, "confidence": 0.5}
    elif domain == "ai.evidence.v1":
        body = {"id": f"py-e-{n}-{os.urandom(4).hex()}", "anomaly_id": f"py-a-{n}", "kind": "netflow"}
    else:
        body = {"id": f"py-p-{os.urandom(4).hex()}", "action": "alert", "version": 1}
    return json.dumps(body, separators=(",", ":")).encode()


def main():
    brokers, producer_id, seed_hex, count = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    key = nacl.signing.SigningKey(bytes.fromhex(seed_hex))
    stranger = nacl.signing.SigningKey.generate()
    producer = Producer({"bootstrap.servers": brokers, "enable.idempotence": True})
    now = int(time.time() * 1000)
    domains = list(TOPICS)

    def send(kind, topic, value, tx_id):
        def report(error, message):
            if error is not None:
                print(json.dumps({"kind": kind, "error": str(error)}), flush=True)
                return
            print(json.dumps({"kind": kind, "tx_id": tx_id, "topic": message.topic(), "partition": message.partition(),
                              "offset": message.offset()}), flush=True)
        producer.produce(topic, value=value, key=producer_id.encode(), on_delivery=report)

    for n in range(count):
        domain = domains[n % 3]
        topic = TOPICS[domain]
        send("valid", topic, *event(key, producer_id, domain, payload_for(domain, n), now))
        send("bad_signature", topic, *event(key, producer_id, domain, payload_for(domain, n), now, tamper="signature"))
        send("bad_content_hash", topic, *event(key, producer_id, domain, payload_for(domain, n), now, tamper="payload"))
        other = TOPICS[domains[(n + 1) % 3]]
        send("domain_mismatch", other, *event(key, producer_id, domain, payload_for(domain, n), now))
        send("stale_timestamp", topic, *event(key, producer_id, domain, payload_for(domain, n), now - 3_600_000))
        send("future_timestamp", topic, *event(key, producer_id, domain, payload_for(domain, n), now + 3_600_000))
        send("bad_payload", "ai.anomalies.v1", *event(key, producer_id, "ai.anomaly.v1", b'{"id":"x","type":"t","severity":0,"confidence":2}', now))
        send("unknown_producer", topic, *event(stranger, "py-stranger", domain, payload_for(domain, n), now))
        send("malformed", topic, b"\xff\xff\xffnot an event", None)
        producer.poll(0)
    producer.flush(30)


if __name__ == "__main__":
    main()
