#!/usr/bin/env python3
"""Writes the fuzzers' seed corpus under Fuzz/corpus/: every event of
Tests/Fixtures/event-vectors.json for FuzzSignedEvent, hand-encoded Wire
envelopes of every kind for FuzzEnvelope, and framed streams of them (first
byte: chunk size) for FuzzFrameDecoder. Deterministic; run after changing
the vectors or wire.proto: python3 scripts/make-fuzz-corpus.py"""
import hashlib, json, os, shutil

root = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | 0x80 if n else b)
        if not n:
            return bytes(out)

def ld(num, data):
    return varint(num << 3 | 2) + varint(len(data)) + data

def vi(num, value):
    return varint(num << 3) + varint(value)

def envelope(body_field, body, version=1):
    return vi(1, version) + ld(body_field, body)

envelopes = [
    envelope(10, vi(1, 1) + vi(2, 1) + ld(3, b"1") + ld(4, b"cybermesh-dev")),          # hello validator
    envelope(10, vi(1, 1) + vi(2, 2) + ld(3, b"ingestor-1") + ld(4, b"chain")),         # hello ingestor
    envelope(11, vi(1, 7) + vi(2, 1767225600000)),                                       # heartbeat
    envelope(12, ld(1, b"bad_hello") + ld(2, b"Hello refused")),                         # error
    envelope(13, vi(1, 42) + ld(2, bytes(range(64))) + vi(3, 1)),                        # echo reply
    envelope(13, vi(1, 1)),                                                              # echo, empty
    vi(1, 1),                                                                            # no body
    envelope(10, vi(1, 1), version=2),                                                   # wrong version
]

def frame(payload):
    return len(payload).to_bytes(4, "big") + payload

def write(target, name, data):
    d = os.path.join(root, "Fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

for target in ("FuzzSignedEvent", "FuzzEnvelope", "FuzzFrameDecoder"):
    shutil.rmtree(os.path.join(root, "Fuzz", "corpus", target), ignore_errors=True)

with open(os.path.join(root, "Tests", "Fixtures", "event-vectors.json")) as f:
    vectors = json.load(f)
for v in vectors:
    data = bytes.fromhex(v["event_hex"])
    write("FuzzSignedEvent", hashlib.sha256(data).hexdigest()[:16], data)
for i, e in enumerate(envelopes):
    write("FuzzEnvelope", f"envelope-{i}", e)
    write("FuzzFrameDecoder", f"frame-{i}", bytes([i * 37 % 256]) + frame(e))
write("FuzzFrameDecoder", "many", bytes([3]) + b"".join(frame(e) for e in envelopes))
write("FuzzFrameDecoder", "oversize", bytes([0]) + b"\x00\x00\x04\x01" + b"\x00" * 16)
write("FuzzFrameDecoder", "empty", bytes([1]) + b"\x00\x00\x00\x00")
print("corpus written under Fuzz/corpus/")
