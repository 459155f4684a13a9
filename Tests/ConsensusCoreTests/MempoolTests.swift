import ConsensusCore
import ConsensusSimulation
import Testing

@Suite struct MempoolTests {
    let validator = SimulatedTransactions()

    func transaction(producer: String = "p", nonce: UInt8, bytes: Int = 0) -> (Transaction, LedgerEvent) {
        let pad = String(repeating: "x", count: bytes)
        let event = LedgerEvent(
            domain: .policy, producerID: producer, nonce: Array(repeating: nonce, count: 16), timestampMs: 1,
            payload: Array(#"{"id":"p","action":"a","version":1,"pad":"\#(pad)"}"#.utf8))
        return (SimulatedTransactions.make(event), event)
    }

    @Test func duplicatesByIdAndByNonceAreRefusedWithoutTakingASlot() {
        var pool = Mempool()
        let (first, event) = transaction(nonce: 1)
        #expect(pool.admit(first, event: event, nowMs: 0) == .admitted)
        #expect(pool.admit(first, event: event, nowMs: 0) == .duplicate)
        let sameNonce = LedgerEvent(domain: .anomaly, producerID: "p", nonce: event.nonce, timestampMs: 2, payload: [])
        guard case .rejected = pool.admit(SimulatedTransactions.make(sameNonce), event: sameNonce, nowMs: 0) else {
            Issue.record("a second event with the same nonce was not refused")
            return
        }
        #expect(pool.count == 1)
        #expect(pool.statistics.duplicates == 1)
    }

    @Test func aFullPoolSaysSoByCountAndByBytes() {
        var config = MempoolConfig()
        config.maximumCount = 3
        var pool = Mempool(config: config)
        for nonce in 1...3 { let (t, e) = transaction(nonce: UInt8(nonce)); pool.admit(t, event: e, nowMs: 0) }
        let (fourth, event) = transaction(nonce: 4)
        #expect(pool.admit(fourth, event: event, nowMs: 0) == .full)

        var small = MempoolConfig()
        small.maximumBytes = PayloadSchema.maximumPayloadBytes
        var bytePool = Mempool(config: small)
        let (big, bigEvent) = transaction(nonce: 1, bytes: 40_000)
        let (big2, big2Event) = transaction(nonce: 2, bytes: 40_000)
        #expect(bytePool.admit(big, event: bigEvent, nowMs: 0) == .admitted)
        #expect(bytePool.admit(big2, event: big2Event, nowMs: 0) == .full)
        bytePool.remove(big.id)
        #expect(bytePool.bytes == 0)
        #expect(bytePool.admit(big2, event: big2Event, nowMs: 0) == .admitted)
    }

    @Test func aProducerOverItsRateIsLimitedWhileOthersAreNot() {
        var config = MempoolConfig()
        config.producerRatePerSecond = 10
        config.producerBurst = 5
        var pool = Mempool(config: config)
        var answers: [Admission] = []
        for nonce in 1...8 {
            let (t, e) = transaction(producer: "noisy", nonce: UInt8(nonce))
            answers.append(pool.admit(t, event: e, nowMs: 0))
        }
        #expect(answers.filter { $0 == .admitted }.count == 5)
        #expect(answers.filter { $0 == .rateLimited }.count == 3)
        let (quiet, quietEvent) = transaction(producer: "quiet", nonce: 1)
        #expect(pool.admit(quiet, event: quietEvent, nowMs: 0) == .admitted)
        // 100 ms later the noisy producer has earned one more.
        let (later, laterEvent) = transaction(producer: "noisy", nonce: 20)
        #expect(pool.admit(later, event: laterEvent, nowMs: 100) == .admitted)
    }

    @Test func batchesTakeProducersInTurnSoAFloodCannotStarveOthers() {
        var pool = Mempool()
        for nonce in 1...50 { let (t, e) = transaction(producer: "flood", nonce: UInt8(nonce)); pool.admit(t, event: e, nowMs: 0) }
        let (a, ae) = transaction(producer: "a", nonce: 1)
        let (b, be) = transaction(producer: "b", nonce: 1)
        pool.admit(a, event: ae, nowMs: 1)
        pool.admit(b, event: be, nowMs: 2)
        let batch = pool.batch(6) { _, _ in true }
        let producers = batch.compactMap { validator.event(of: $0)?.producerID }
        #expect(producers.filter { $0 == "a" }.count == 1)
        #expect(producers.filter { $0 == "b" }.count == 1)
        #expect(producers.count == 6)
    }

    @Test func staleEntriesExpireAndTheOldestArrivalMovesOn() {
        var config = MempoolConfig()
        config.maximumAgeMs = 1_000
        var pool = Mempool(config: config)
        let (old, oldEvent) = transaction(nonce: 1)
        let (young, youngEvent) = transaction(nonce: 2)
        pool.admit(old, event: oldEvent, nowMs: 0)
        pool.admit(young, event: youngEvent, nowMs: 800)
        #expect(pool.oldestArrivalMs == 0)
        #expect(pool.expire(nowMs: 1_500) == 1)
        #expect(!pool.contains(old.id) && pool.contains(young.id))
        #expect(pool.oldestArrivalMs == 800)
    }
}

/// Submissions through a replica: the answer per transaction.
@Suite struct AdmissionTests {
    @Test func aReplicaAnswersAdmittedDuplicateAlreadyCommittedAndRejected() throws {
        var config = scenarioLikeConfig()
        config.transactionsPerSecond = 0
        let simulation = try Simulation(config: config)
        simulation.run(until: { $0.runningHonestReplicas.count == 4 && $0.runningHonestReplicas.allSatisfy(\.isActive) }, maximumSteps: 2_000)
        simulation.submitNew()
        simulation.run(until: { $0.canonicalHeight >= 1 }, maximumSteps: 2_000)
        var replica = try #require(simulation.replica(2))
        let committed = try #require(replica.committedBlock(at: 1)?.block.transactions.first)
        let now: Int64 = 1_767_225_700_000
        #expect(replica.step(.submit(committed), nowMs: now).contains(.admission(committed.id, .alreadyCommitted)))
        let fresh = SimulatedWorkload(seed: 99).event(number: 1, timestampMs: now)
        #expect(replica.step(.submit(fresh), nowMs: now).contains(.admission(fresh.id, .admitted)))
        #expect(replica.step(.submit(fresh), nowMs: now).contains(.admission(fresh.id, .duplicate)))
        // Another event whose signature was tampered with (the id still matches its content).
        let other = SimulatedWorkload(seed: 99).event(number: 2, timestampMs: now)
        let forged = Transaction(id: other.id, payload: other.payload.dropLast() + [other.payload.last! ^ 1])
        let answer = replica.step(.submit(forged), nowMs: now).compactMap { action -> Admission? in
            if case let .admission(_, admission) = action { return admission } else { return nil }
        }
        #expect(answer.count == 1)
        if case .rejected = answer.first {} else { Issue.record("a forged signature was admitted: \(answer)") }
    }

    func scenarioLikeConfig() -> SimulationConfig {
        var config = SimulationConfig(seed: 3, validators: 4)
        config.faults = false
        return config
    }
}
