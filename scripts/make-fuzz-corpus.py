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

bodies = []  # (envelope body field, message bytes): FuzzWireBody's seeds

def envelope(body_field, body, version=1):
    if version == 1:
        bodies.append((body_field, body))
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

# Consensus messages (wire.proto bodies 20-31), shaped as validators send them.
h32 = lambda b: hashlib.sha256(bytes([b])).digest()
sig = bytes(range(64))
vote = lambda phase, view, height, voter: vi(1, phase) + vi(2, view) + vi(3, height) + ld(4, h32(height)) + vi(5, voter) + ld(6, sig)
tx = ld(1, h32(9)) + ld(2, b"payload")
results = vi(1, 1) + ld(2, h32(7)) + ld(3, h32(8))
block = vi(1, 5) + ld(2, h32(4)) + vi(3, 1) + vi(4, 1767225600000) + ld(5, tx) + ld(5, tx) + ld(6, h32(5)) + ld(7, results)
proposal = vi(1, 2) + ld(2, block) + ld(3, h32(6)) + ld(4, sig)
certificate = b"".join(ld(1, vote(2, 1, 4, v)) for v in (1, 2, 3))
prepared = ld(1, proposal) + ld(2, b"".join(ld(1, vote(1, 2, 5, v)) for v in (1, 2, 3)))
header = vi(1, 5) + ld(2, h32(4)) + vi(3, 1) + vi(4, 1767225600000) + ld(5, h32(5)) + vi(6, 2) + ld(7, results)
claim = ld(1, header) + ld(2, h32(6)) + ld(3, b"".join(ld(1, vote(1, 2, 5, v)) for v in (1, 2, 3)))
proposal_header = vi(1, 3) + ld(2, header) + ld(3, h32(6)) + ld(4, sig)
view_change = vi(1, 3) + vi(2, 2) + ld(3, certificate) + ld(4, claim) + ld(5, sig)
committed = ld(1, block) + ld(2, h32(6)) + ld(3, certificate)
checkpoint = vi(1, 100) + ld(2, h32(1)) + vi(3, 1767225600000) + ld(4, h32(2)) + vi(5, 3) + ld(6, sig)
parameters = ld(1, b"cybermesh-dev") + ld(2, h32(1)) + ld(3, h32(2))
ready = ld(1, parameters) + vi(2, 2) + vi(3, 1767225600000) + ld(4, bytes(16)) + ld(5, sig)
consensus = [
    envelope(20, ready),
    envelope(21, ld(1, parameters) + vi(2, 0) + vi(3, 1) + ld(4, ready) + ld(4, ready) + ld(5, sig)),
    envelope(22, proposal),
    envelope(23, vote(1, 7, 9, 2)),
    envelope(23, vote(2, (1 << 62) + 1, 9, 2)),                                     # view out of range
    envelope(24, view_change),
    envelope(25, vi(1, 3) + ld(2, view_change) + ld(3, proposal_header) + ld(4, sig)),
    envelope(26, vi(1, 4) + vi(2, 1) + vi(3, 99) + ld(4, sig) + vi(5, 1767225600000)),
    envelope(27, vi(1, 12)),
    envelope(28, ld(1, committed) + ld(1, committed)),
    envelope(29, checkpoint),
    envelope(30, vi(1, 100) + vi(2, 3)),
    envelope(32, vi(1, 5) + ld(2, h32(6))),
    envelope(33, block),
]
envelopes += consensus

# Service messages (wire.proto bodies 40-47).
executed = ld(1, committed) + ld(2, h32(3)) + ld(3, b"") + ld(3, b"bad_payload: severity")
services = [
    envelope(40, vi(1, 9) + ld(2, b"event-one") + ld(2, b"event-two")),
    envelope(41, vi(1, 9) + ld(2, ld(1, h32(9)) + vi(2, 1)) + ld(2, vi(2, 6) + ld(3, b"bad_signature"))),
    envelope(42, vi(1, 1)),
    envelope(43, vi(1, 5) + ld(2, h32(6)) + vi(3, 1767225600000) + ld(4, h32(9))),
    envelope(44, vi(1, 1)),
    envelope(45, ld(1, executed)),
    envelope(46, vi(1, 3) + ld(2, b"/status")),
    envelope(47, vi(1, 3) + vi(2, 200) + ld(3, b'{"height":5}')),
]
envelopes += services

# Storage records (storage.proto WalRecord and wire.proto ExecutedBlock).
wal_records = [vi(2, 7), ld(3, vote(1, 7, 9, 2)), ld(4, prepared), ld(5, view_change), ld(6, vi(1, 2) + vi(2, 5) + ld(3, h32(6))),
               ld(7, vi(1, 3) + ld(2, view_change) + ld(3, proposal_header) + ld(4, sig)), vi(2, (1 << 62) + 5)]

def frame(payload):
    return len(payload).to_bytes(4, "big") + payload

def write(target, name, data):
    d = os.path.join(root, "Fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)

body_fields = [10, 11, 12, 13] + list(range(20, 34)) + list(range(40, 48))  # Fuzz/FuzzWireBody/main.swift

for target in ("FuzzSignedEvent", "FuzzEnvelope", "FuzzFrameDecoder", "FuzzStorageRecord", "FuzzWireBody"):
    shutil.rmtree(os.path.join(root, "Fuzz", "corpus", target), ignore_errors=True)

with open(os.path.join(root, "Tests", "Fixtures", "event-vectors.json")) as f:
    vectors = json.load(f)
for v in vectors:
    data = bytes.fromhex(v["event_hex"])
    write("FuzzSignedEvent", hashlib.sha256(data).hexdigest()[:16], data)
for i, e in enumerate(envelopes):
    write("FuzzEnvelope", f"envelope-{i}", e)
    write("FuzzFrameDecoder", f"frame-{i}", bytes([i * 37 % 256]) + frame(e))
for i, r in enumerate(wal_records):
    write("FuzzStorageRecord", f"wal-{i}", r)
write("FuzzStorageRecord", "block", ld(1, committed))
for i, (field, body) in enumerate(bodies):
    write("FuzzWireBody", f"body-{field}-{i}", bytes([body_fields.index(field)]) + body)
write("FuzzFrameDecoder", "many", bytes([3]) + b"".join(frame(e) for e in envelopes))
write("FuzzFrameDecoder", "oversize", bytes([0]) + b"\x00\x00\x04\x01" + b"\x00" * 16)
write("FuzzFrameDecoder", "empty", bytes([1]) + b"\x00\x00\x00\x00")
print("corpus written under Fuzz/corpus/")
