#!/usr/bin/env python3
"""Writes Tests/Fixtures/event-vectors.json: test vectors for the event format
of CONTRACT.md §1, made by an implementation independent of the Swift one
(Python's `cryptography` for Ed25519, hashlib for SHA-256, protobuf encoded
by hand), so the Swift tests check one implementation against another.

Context every vector assumes (docs/event-vectors.md): the trust store holds
the vector's producer_id with the public key of seed_hex, allowed all three
domains; the record is read from the topic of the vector's domain (or of
ai.anomaly.v1 when the domain is not a known one); the validator's clock reads
timestamp_ms. Run: python3 scripts/make-event-vectors.py
"""
import hashlib, json, os, struct
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives import serialization

TS = 1767225600000  # 2026-01-01T00:00:00Z

def varint(n):
    out = bytearray()
    n &= (1 << 64) - 1
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)

def field_bytes(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data if data else b""

def field_int(num, value):
    return varint(num << 3 | 0) + varint(value) if value else b""

def encode_event(domain, ts, producer, nonce, content_hash, payload, signature):
    return (field_bytes(1, domain.encode()) + field_int(2, ts) + field_bytes(3, producer.encode())
            + field_bytes(4, nonce) + field_bytes(5, content_hash) + field_bytes(6, payload)
            + field_bytes(7, signature))

def sign_bytes(domain, ts, producer, nonce, content_hash):
    d, p = domain.encode(), producer.encode()
    return (b"cybermesh.event.v1\x00" + bytes([len(d)]) + d + struct.pack(">q", ts)
            + bytes([len(p)]) + p + nonce + content_hash)

def seed_for(name):
    return hashlib.sha256(b"cybermesh vector seed " + name.encode()).digest()

def nonce_for(name, length=16):
    return hashlib.sha256(b"cybermesh vector nonce " + name.encode()).digest()[:length]

def vector(name, domain, payload, valid, reason, producer="detector-1", ts=TS, nonce=None,
           mutate=None, content_hash=None, raw_event=None):
    seed = seed_for(producer)
    key = Ed25519PrivateKey.from_private_bytes(seed)
    nonce = nonce if nonce is not None else nonce_for(name)
    payload_bytes = payload.encode() if isinstance(payload, str) else payload
    chash = content_hash if content_hash is not None else hashlib.sha256(payload_bytes).digest()
    can_sign = len(nonce) == 16 and len(chash) == 32 and len(domain.encode()) < 256 and len(producer.encode()) < 256
    sb = sign_bytes(domain, ts, producer, nonce, chash) if can_sign else None
    sig = key.sign(sb) if sb is not None else key.sign(b"unsignable")
    if mutate == "flip_signature":
        sig = bytes([sig[0] ^ 0x01]) + sig[1:]
    if mutate == "short_signature":
        sig = sig[:63]
    event = raw_event if raw_event is not None else encode_event(domain, ts, producer, nonce, chash, payload_bytes, sig)
    return {
        "name": name,
        "seed_hex": seed.hex(),
        "public_key_hex": key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex(),
        "domain": domain,
        "timestamp_ms": ts,
        "producer_id": producer,
        "nonce_hex": nonce.hex(),
        "payload": payload_bytes.decode("utf-8", errors="replace") if len(payload_bytes) < 1000 else payload_bytes.decode(),
        "content_hash_hex": chash.hex(),
        "sign_bytes_hex": sb.hex() if sb is not None else None,
        "signature_hex": sig.hex(),
        "tx_id_hex": hashlib.sha256(sb).hexdigest() if sb is not None else None,
        "event_hex": event.hex(),
        "valid": valid,
        "reason": reason,
    }

A, E, P = "ai.anomaly.v1", "ai.evidence.v1", "ai.policy.v1"
anomaly = '{"id":"a-1","type":"port_scan","severity":7,"confidence":0.93}'
anomaly_full = ('{"id":"a-2","type":"lateral_movement","severity":10,"confidence":1,'
                '"source":"10.0.0.5","target":"db-1","detected_at":"2026-01-01T00:00:00.250Z",'
                '"model":"iforest-v3","details":{"ports":[22,445]},"extra":"kept"}')
evidence = '{"id":"e-1","anomaly_id":"a-1","kind":"pcap","data":{"bytes":1234}}'
policy = '{"id":"p-1","action":"block","version":3,"rule":{"cidr":"10.0.0.0/8"}}'

vectors = [
    vector("valid anomaly, required fields", A, anomaly, True, None),
    vector("valid anomaly, every optional field and an extra one", A, anomaly_full, True, None),
    vector("valid anomaly, unicode text and escapes", A,
           '{"id":"a-\\u00e9-3","type":"ex\\"fil","severity":1,"confidence":0,"details":{"note":"h\u00f6st \u2603"}}', True, None),
    vector("valid anomaly, producer id with every allowed character class", A, anomaly, True, None,
           producer="Det.ector_9-X"),
    vector("valid anomaly, negative timestamp (before 1970)", A, anomaly, True, None, ts=-1000),
    vector("valid evidence", E, evidence, True, None),
    vector("valid evidence, required fields only", E, '{"id":"e-2","anomaly_id":"a-2","kind":"log"}', True, None),
    vector("valid policy", P, policy, True, None),
    vector("valid policy, version 1 without rule", P, '{"id":"p-2","action":"allow","version":1}', True, None),
    vector("valid policy, 64-byte producer id", P, policy, True, None, producer="p" * 64),
    vector("valid anomaly, payload exactly 65536 bytes", A,
           ('{"id":"a-big","type":"t","severity":2,"confidence":0.5,"pad":"' + "x" * (65536 - 64) + '"}'), True, None),

    vector("malformed: not a protobuf message", A, anomaly, False, "malformed", raw_event=b"\xff\xff\xff\xff garbage"),
    vector("malformed: truncated record", A, anomaly, False, "malformed",
           raw_event=encode_event(A, TS, "detector-1", nonce_for("t"), hashlib.sha256(anomaly.encode()).digest(), anomaly.encode(), b"\x00" * 64)[:-10]),
    vector("malformed: nonce of 15 bytes", A, anomaly, False, "malformed", nonce=nonce_for("n15", 15)),
    vector("malformed: signature of 63 bytes", A, anomaly, False, "malformed", mutate="short_signature"),
    vector("malformed: content hash of 31 bytes", A, anomaly, False, "malformed",
           content_hash=hashlib.sha256(anomaly.encode()).digest()[:31]),
    vector("malformed: producer id with a space", A, anomaly, False, "malformed", producer="detector 1"),
    vector("malformed: producer id of 65 bytes", A, anomaly, False, "malformed", producer="p" * 65),
    vector("oversize: payload of 65537 bytes", A,
           ('{"id":"a-big","type":"t","severity":2,"confidence":0.5,"pad":"' + "x" * (65537 - 64) + '"}'), False, "oversize"),
    vector("bad_signature: one bit flipped", A, anomaly, False, "bad_signature", mutate="flip_signature"),
    vector("bad_content_hash: hash of another payload", A, anomaly, False, "bad_content_hash",
           content_hash=hashlib.sha256(b"{}").digest()),
    vector("bad_payload: not JSON", A, "severity=7", False, "bad_payload"),
    vector("bad_payload: a JSON array, not an object", A, "[1,2,3]", False, "bad_payload"),
    vector("bad_payload: anomaly without severity", A, '{"id":"a","type":"t","confidence":0.5}', False, "bad_payload"),
    vector("bad_payload: severity 11", A, '{"id":"a","type":"t","severity":11,"confidence":0.5}', False, "bad_payload"),
    vector("bad_payload: severity 5.5 is not an integer", A, '{"id":"a","type":"t","severity":5.5,"confidence":0.5}', False, "bad_payload"),
    vector("bad_payload: severity as a string", A, '{"id":"a","type":"t","severity":"7","confidence":0.5}', False, "bad_payload"),
    vector("bad_payload: confidence 1.5", A, '{"id":"a","type":"t","severity":3,"confidence":1.5}', False, "bad_payload"),
    vector("bad_payload: empty id", A, '{"id":"","type":"t","severity":3,"confidence":0.5}', False, "bad_payload"),
    vector("bad_payload: detected_at not RFC 3339", A,
           '{"id":"a","type":"t","severity":3,"confidence":0.5,"detected_at":"yesterday"}', False, "bad_payload"),
    vector("bad_payload: duplicate key", A, '{"id":"a","id":"b","type":"t","severity":3,"confidence":0.5}', False, "bad_payload"),
    vector("bad_payload: trailing comma", A, '{"id":"a","type":"t","severity":3,"confidence":0.5,}', False, "bad_payload"),
    vector("bad_payload: invalid UTF-8", A, b'{"id":"\xff","type":"t","severity":3,"confidence":0.5}', False, "bad_payload"),
    vector("bad_payload: evidence without anomaly_id", E, '{"id":"e","kind":"pcap"}', False, "bad_payload"),
    vector("bad_payload: evidence data not an object", E, '{"id":"e","anomaly_id":"a","kind":"pcap","data":[1]}', False, "bad_payload"),
    vector("bad_payload: policy version 0", P, '{"id":"p","action":"block","version":0}', False, "bad_payload"),
    vector("bad_payload: policy action too long", P, '{"id":"p","action":"' + "a" * 65 + '","version":2}', False, "bad_payload"),
]

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "Tests", "Fixtures", "event-vectors.json")
with open(path, "w") as f:
    json.dump(vectors, f, indent=1, ensure_ascii=False)
    f.write("\n")
print(f"wrote {len(vectors)} vectors to {os.path.normpath(path)}")
