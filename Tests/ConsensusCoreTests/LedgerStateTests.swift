import ConsensusCore
import ConsensusSimulation
import Testing

/// The state machine's rules (CONTRACT §1, ARCHITECTURE §6), one block at a time.
@Suite struct LedgerStateTests {
    let crypto = SimulatedCrypto()
    let events = SimulatedTransactions()
    let blockTime: Int64 = 1_767_225_600_000

    func event(_ domain: EventDomain, _ json: String, producer: String = "detector-1", nonce: UInt8 = 1, at timestamp: Int64? = nil) -> Transaction {
        SimulatedTransactions.make(LedgerEvent(
            domain: domain, producerID: producer, nonce: Array(repeating: nonce, count: 16),
            timestampMs: timestamp ?? blockTime, payload: Array(json.utf8)))
    }

    func block(_ height: UInt64, _ transactions: [Transaction], at time: Int64? = nil) -> Block {
        Block.make(height: height, previousHash: Hash32.zero, proposer: 1, timestampMs: time ?? blockTime + Int64(height), transactions: transactions, results: .genesis(crypto: crypto), crypto: crypto)
    }

    func anomaly(_ id: String, severity: String = "7") -> String {
        #"{"id":"\#(id)","type":"port-scan","severity":\#(severity),"confidence":0.5,"extra":{"kept":true}}"#
    }

    @Test func anAnomalyEvidenceAndPolicyAreAppliedAndCounted() {
        var state = LedgerState(crypto: crypto)
        let execution = state.apply(block(1, [
            event(.anomaly, anomaly("a-1"), nonce: 1),
            event(.evidence, #"{"id":"e-1","anomaly_id":"a-1","kind":"pcap"}"#, nonce: 2),
            event(.policy, #"{"id":"p-1","action":"block","version":1}"#, producer: "detector-2", nonce: 3),
        ]), events: events)
        #expect(execution.outcomes == [.applied, .applied, .applied])
        #expect(state.anomalies["a-1"]?.severity == 7)
        #expect(state.evidence["a-1"]?["e-1"]?.kind == "pcap")
        #expect(state.policies["p-1"]?.version == 1)
        #expect(state.domainCounts == [.anomaly: 1, .evidence: 1, .policy: 1])
        #expect(state.severityCounts == [7: 1])
        #expect(state.producerCounts == ["detector-1": 2, "detector-2": 1])
        #expect(execution.stateRoot != Hash32.zero)
    }

    @Test func aPolicyMustRaiseTheVersionInForce() {
        var state = LedgerState(crypto: crypto)
        let policy = { (version: Int, nonce: UInt8) in self.event(.policy, #"{"id":"p","action":"block","version":\#(version)}"#, nonce: nonce) }
        let execution = state.apply(block(1, [policy(3, 1), policy(3, 2), policy(2, 3), policy(4, 4)]), events: events)
        #expect(execution.outcomes == [
            .applied, .rejected(.policyVersionNotNewer(current: 3)), .rejected(.policyVersionNotNewer(current: 3)), .applied,
        ])
        #expect(state.policies["p"]?.version == 4)
    }

    @Test func aProducerNonceCommittedWithinTheTTLIsRejectedEvenInALaterBlock() {
        var state = LedgerState(crypto: crypto)
        _ = state.apply(block(1, [event(.anomaly, anomaly("a-1"), nonce: 9)]), events: events)
        let replay = event(.anomaly, anomaly("a-2"), nonce: 9, at: blockTime + 5)
        let other = event(.anomaly, anomaly("a-3"), producer: "detector-2", nonce: 9)
        let execution = state.apply(block(2, [replay, other]), events: events)
        #expect(execution.outcomes == [.rejected(.duplicateNonce), .applied])
        #expect(state.anomalies["a-2"] == nil)
    }

    @Test func theNonceTTLIsMeasuredInBlockTimeAndRecordsExpire() {
        var config = StateConfig()
        config.nonceTTLMs = 60_000
        var state = LedgerState(config: config, crypto: crypto)
        _ = state.apply(block(1, [event(.anomaly, anomaly("a-1"), nonce: 1)], at: blockTime), events: events)
        #expect(state.nonces.count == 1)
        // Block time moves past the TTL: the record goes, and an event that
        // old is itself expired, so the nonce can never be replayed.
        let late = blockTime + 61_000
        let execution = state.apply(block(2, [event(.anomaly, anomaly("a-9"), nonce: 1, at: blockTime)], at: late), events: events)
        #expect(execution.outcomes == [.rejected(.expired)])
        #expect(state.nonces.isEmpty)
        let future = state.apply(block(3, [event(.anomaly, anomaly("a-8"), nonce: 2, at: late + 120_000)], at: late + 1), events: events)
        #expect(future.outcomes == [.rejected(.futureTimestamp)])
    }

    @Test func aReusedAnomalyIdOrEvidenceIdIsRejected() {
        var state = LedgerState(crypto: crypto)
        let execution = state.apply(block(1, [
            event(.anomaly, anomaly("a-1"), nonce: 1),
            event(.anomaly, anomaly("a-1", severity: "2"), nonce: 2),
            event(.evidence, #"{"id":"e","anomaly_id":"a-1","kind":"k"}"#, nonce: 3),
            event(.evidence, #"{"id":"e","anomaly_id":"a-1","kind":"other"}"#, nonce: 4),
        ]), events: events)
        #expect(execution.outcomes == [.applied, .rejected(.anomalyExists), .applied, .rejected(.evidenceExists)])
        #expect(state.anomalies["a-1"]?.severity == 7)
    }

    @Test("bad payloads are rejected with a reason naming the problem", arguments: [
        ("{not json", nil as String?),
        (#"{"type":"scan","severity":5,"confidence":0.5}"#, "id"),
        (#"{"id":"a","type":"scan","severity":"5","confidence":0.5}"#, "severity"),
        (#"{"id":"a","type":"scan","severity":5.5,"confidence":0.5}"#, "severity"),
        (#"{"id":"a","type":"scan","severity":11,"confidence":0.5}"#, "severity"),
        (#"{"id":"a","type":"scan","severity":5,"confidence":2}"#, "confidence"),
        (#"["not","an","object"]"#, nil),
        (#"{"id":"a","type":"scan","severity":5,"confidence":0.5,"pad":""# + String(repeating: "x", count: 70_000) + #""}"#, nil),
    ])
    func badPayload(json: String, field: String?) {
        var state = LedgerState(crypto: crypto)
        let execution = state.apply(block(1, [event(.anomaly, json)]), events: events)
        guard case let .rejected(.badPayload(detail)) = execution.outcomes[0] else {
            Issue.record("expected bad_payload, got \(execution.outcomes[0])")
            return
        }
        if let field { #expect(detail.contains("field \(field)"), "\(detail)") }
        #expect(state.anomalies.isEmpty)
        // The nonce is spent all the same: the event cannot come back.
        #expect(state.nonces.count == 1)
    }

    @Test func aTransactionThatIsNotAnEventIsRejectedAsUndecodable() {
        var state = LedgerState(crypto: crypto)
        let garbage = Transaction(id: crypto.hash([1]), payload: [1, 2, 3])
        #expect(state.apply(block(1, [garbage]), events: events).outcomes == [.rejected(.undecodable)])
    }

    @Test func aSnapshotRebuildsTheSameRootAndRefusesGarbage() throws {
        var state = LedgerState(crypto: crypto)
        let workload = SimulatedWorkload(seed: 9)
        for height in 1...20 {
            let transactions = (0..<25).map { workload.event(number: height * 100 + $0, timestampMs: blockTime + Int64(height)) }
            _ = state.apply(block(UInt64(height), transactions), events: events)
        }
        let entries = state.entries()
        var copy = try LedgerState(height: 20, entries: entries.reversed(), crypto: crypto)
        #expect(copy.root() == state.root())
        #expect(copy.anomalies == state.anomalies)
        #expect(copy.policies == state.policies)
        #expect(copy.nonces == state.nonces)
        #expect(throws: SnapshotError.self) { try LedgerState(height: 20, entries: entries + [entries[0]], crypto: crypto) }
        #expect(throws: SnapshotError.self) { try LedgerState(height: 20, entries: [StateEntry(key: [0x7f, 1], value: [])], crypto: crypto) }
        #expect(throws: SnapshotError.self) { try LedgerState(height: 20, entries: [StateEntry(key: StateKey.policy(id: "p").bytes, value: [1, 2])], crypto: crypto) }
        // Valid encoding, wrong value: loads, but the root gives it away.
        var tampered = entries
        let index = tampered.firstIndex { StateKey(bytes: $0.key).map { if case .domainCount = $0 { true } else { false } } ?? false }!
        tampered[index] = StateEntry(key: tampered[index].key, value: [0, 0, 0, 0, 0, 0, 0, 99])
        var forged = try LedgerState(height: 20, entries: tampered, crypto: crypto)
        #expect(forged.root() != state.root())
    }
}
