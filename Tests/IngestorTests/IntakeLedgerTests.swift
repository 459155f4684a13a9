import ConsensusCore
import Events
import Kafka
import Testing
@testable import ingestor

/// The rules that decide when a Kafka offset may advance (ARCHITECTURE §7),
/// on the pure ledger: 4 validators, so f = 1 and f+1 = 2.
struct IntakeLedgerTests {
    static let partition = TopicPartition(topic: "ai.anomalies.v1", partition: 0)
    static let validators: [ValidatorID] = [1, 2, 3, 4]

    static func ledger(_ change: (inout IntakeLedger.Configuration) -> Void = { _ in }) -> LedgerBox {
        var configuration = IntakeLedger.Configuration(validators: validators)
        change(&configuration)
        let ledger = LedgerBox(IntakeLedger(configuration: configuration))
        ledger.state.assign([partition])
        return ledger
    }

    static func at(_ offset: Int64, _ partition: TopicPartition = partition) -> IntakeLedger.Location {
        IntakeLedger.Location(partition: partition, offset: offset)
    }

    static func id(_ n: UInt8) -> Hash32 { Hash32(bytes: [UInt8](repeating: n, count: 32))! }

    /// Reads offsets 0..<count as valid events with ids 1...count.
    static func readValid(_ ledger: LedgerBox, count: Int64, nowMs: Int64 = 0) {
        for offset in 0..<count {
            let wasRead = ledger.state.read(at(offset), value: [UInt8(offset)])
            #expect(wasRead == .taken)
            let work = ledger.state.verified(at(offset), .valid(id(UInt8(offset + 1))), nowMs: nowMs)
            #expect(work.submit.map(\.id) == [id(UInt8(offset + 1))])
        }
    }

    @Test func theOffsetAdvancesOnlyToTheFirstRecordNotYetCommitted() {
        let ledger = Self.ledger()
        Self.readValid(ledger, count: 3)
        #expect(ledger.state.offsetsToCommit().isEmpty)
        for validator: ValidatorID in [1, 2] { _ = ledger.state.noticed(Self.id(2), by: validator, nowMs: 1) }
        #expect(ledger.state.offsetsToCommit().isEmpty, "offset 1 is committed but offset 0 is not")
        for validator: ValidatorID in [3, 4] { _ = ledger.state.noticed(Self.id(1), by: validator, nowMs: 1) }
        #expect(ledger.state.offsetsToCommit() == [Self.partition: 2])
        ledger.state.committed([Self.partition: 2])
        #expect(ledger.state.offsetsToCommit().isEmpty)
        #expect(ledger.state.figures.committed == 2)
    }

    @Test func oneValidatorsNoticeNeverSettlesAnEventAndRepeatingItDoesNotCount() {
        let ledger = Self.ledger()
        Self.readValid(ledger, count: 1)
        for _ in 0..<5 { _ = ledger.state.noticed(Self.id(1), by: 3, nowMs: 1) }
        _ = ledger.state.answered(Self.id(1), .alreadyCommitted, by: 3, nowMs: 1)
        _ = ledger.state.noticed(Self.id(1), by: 9, nowMs: 1)
        #expect(ledger.state.offsetsToCommit().isEmpty)
        _ = ledger.state.noticed(Self.id(1), by: 1, nowMs: 1)
        #expect(ledger.state.offsetsToCommit() == [Self.partition: 1])
    }

    @Test func fPlusOneAlreadyCommittedAnswersSettleARecordAsAReplay() {
        let ledger = Self.ledger()
        Self.readValid(ledger, count: 1)
        _ = ledger.state.answered(Self.id(1), .alreadyCommitted, by: 2, nowMs: 1)
        _ = ledger.state.answered(Self.id(1), .alreadyCommitted, by: 4, nowMs: 1)
        #expect(ledger.state.offsetsToCommit() == [Self.partition: 1])
        #expect(ledger.state.figures.replays == 1)
        #expect(ledger.state.figures.committed == 0)
    }

    @Test func fPlusOneRefusalsWithOneReasonDeadLetterTheRecordAndSplitReasonsWait() {
        let ledger = Self.ledger()
        Self.readValid(ledger, count: 1)
        #expect(ledger.state.answered(Self.id(1), .rejected("stale_timestamp: against this validator's clock"), by: 1, nowMs: 1).deadLetters.isEmpty)
        #expect(ledger.state.answered(Self.id(1), .rejected("bad_signature: forged"), by: 2, nowMs: 1).deadLetters.isEmpty)
        let work = ledger.state.answered(Self.id(1), .rejected("stale_timestamp: against this validator's clock"), by: 3, nowMs: 1)
        #expect(work.deadLetters.map(\.reason) == [.staleTimestamp])
        #expect(work.deadLetters.first?.location == Self.at(0))
        #expect(ledger.state.offsetsToCommit().isEmpty, "not before the dead-letter write is acknowledged")
        ledger.state.deadLettered(Self.at(0), reason: .staleTimestamp)
        #expect(ledger.state.offsetsToCommit() == [Self.partition: 1])
        #expect(ledger.state.figures.deadLettered == [.staleTimestamp: 1])
    }

    @Test func aLocallyInvalidRecordIsDeadLetteredWithoutAskingTheValidators() {
        let ledger = Self.ledger()
        let wasRead = ledger.state.read(Self.at(0), value: [9, 9])
        #expect(wasRead == .taken)
        let work = ledger.state.verified(Self.at(0), .invalid(.badSignature, detail: "forged"), nowMs: 0)
        #expect(work.submit.isEmpty)
        #expect(work.deadLetters == [IntakeLedger.DeadLetter(location: Self.at(0), value: [9, 9], reason: .badSignature, detail: "forged")])
        #expect(ledger.state.offsetsToCommit().isEmpty)
        ledger.state.deadLettered(Self.at(0), reason: .badSignature)
        #expect(ledger.state.offsetsToCommit() == [Self.partition: 1])
    }

    @Test func aNonceReusedWithOtherContentIsSkippedAsAReplayOnlyOnFPlusOneWords() {
        let ledger = Self.ledger()
        Self.readValid(ledger, count: 1)
        _ = ledger.state.answered(Self.id(1), .rejected("duplicate_nonce: p already used this nonce"), by: 1, nowMs: 1)
        #expect(ledger.state.offsetsToCommit().isEmpty)
        _ = ledger.state.answered(Self.id(1), .rejected("duplicate_nonce: p already used this nonce"), by: 2, nowMs: 1)
        #expect(ledger.state.offsetsToCommit() == [Self.partition: 1])
        #expect(ledger.state.figures.replays == 1)
    }

    @Test func fullMempoolsPauseThePartitionAndTheEventIsResentAfterTheBackOff() {
        let ledger = Self.ledger()
        Self.readValid(ledger, count: 1)
        _ = ledger.state.answered(Self.id(1), .full, by: 1, nowMs: 10)
        #expect(ledger.state.pausedPartitions(nowMs: 10).isEmpty, "one validator's answer does not pause")
        _ = ledger.state.answered(Self.id(1), .rateLimited, by: 2, nowMs: 10)
        #expect(ledger.state.pausedPartitions(nowMs: 10) == [Self.partition])
        #expect(ledger.state.due(nowMs: 100).isEmpty)
        let resent = ledger.state.due(nowMs: 10 + 250)
        #expect(resent.map(\.id) == [Self.id(1)])
        #expect(resent.first?.to == Self.validators)
        #expect(ledger.state.pausedPartitions(nowMs: 10 + 250).isEmpty)
        #expect(ledger.state.figures.backOffs == 1)
    }

    @Test func anEventNotCommittedWithinTheIntervalIsResentToTheValidatorsThatHaveNotReportedIt() {
        let ledger = Self.ledger { $0.resubmitIntervalMs = 1_000 }
        Self.readValid(ledger, count: 1, nowMs: 0)
        _ = ledger.state.noticed(Self.id(1), by: 2, nowMs: 5)
        #expect(ledger.state.due(nowMs: 999).isEmpty)
        let resent = ledger.state.due(nowMs: 1_000)
        #expect(resent.map(\.id) == [Self.id(1)])
        #expect(resent.first?.to == [1, 3, 4])
        #expect(ledger.state.due(nowMs: 1_500).isEmpty)
        #expect(ledger.state.due(nowMs: 2_000).count == 1)
        #expect(ledger.state.figures.resubmitted == 2)
    }

    @Test func pastTheBacklogBoundEveryPartitionPausesUntilItFallsBelowEightyPercent() {
        let ledger = Self.ledger { $0.maximumOpenRecords = 5 }
        Self.readValid(ledger, count: 5)
        #expect(ledger.state.pausedPartitions(nowMs: 0) == [Self.partition])
        for n: UInt8 in 1...1 { for validator: ValidatorID in [1, 2] { _ = ledger.state.noticed(Self.id(n), by: validator, nowMs: 0) } }
        #expect(ledger.state.pausedPartitions(nowMs: 0) == [Self.partition], "4 open is not below 80 % of 5")
        for validator: ValidatorID in [1, 2] { _ = ledger.state.noticed(Self.id(2), by: validator, nowMs: 0) }
        #expect(ledger.state.pausedPartitions(nowMs: 0).isEmpty)
    }

    @Test func aRecordPastTheBacklogBoundIsRefusedSoThatItCanBeReadAgainLater() {
        let ledger = Self.ledger { $0.maximumOpenRecords = 2 }
        Self.readValid(ledger, count: 2)
        let refused = ledger.state.read(Self.at(2), value: [2])
        #expect(refused == .overBound)
        #expect(ledger.state.openRecords == 2)
        #expect(ledger.state.rewinds == [Self.partition: 2])
        for validator: ValidatorID in [1, 2] { _ = ledger.state.noticed(Self.id(1), by: validator, nowMs: 0) }
        let later = ledger.state.read(Self.at(3), value: [3])
        #expect(later == .overBound, "below the bound again, but a record behind it was refused: no gap may open")
        ledger.state.rewound(Self.partition)
        let again = ledger.state.read(Self.at(2), value: [2])
        #expect(again == .taken, "the refused offset is read again after the rewind")
    }

    @Test func revokingAPartitionReturnsItsSafeOffsetAndForgetsItsEvents() {
        let other = TopicPartition(topic: "ai.policy.v1", partition: 2)
        let ledger = Self.ledger()
        ledger.state.assign([other])
        Self.readValid(ledger, count: 2)
        let taken = ledger.state.read(Self.at(7, other), value: [1])
        #expect(taken == .taken)
        _ = ledger.state.verified(Self.at(7, other), .valid(Self.id(1)), nowMs: 0)
        for validator: ValidatorID in [1, 2] { _ = ledger.state.noticed(Self.id(1), by: validator, nowMs: 0) }
        #expect(ledger.state.offsetsToCommit() == [Self.partition: 1, other: 8], "one event at two offsets settles both")
        #expect(ledger.state.revoke([Self.partition]) == [Self.partition: 1])
        #expect(ledger.state.pendingEvents == 0)
        #expect(ledger.state.openRecords == 0)
        #expect(ledger.state.openBytes == 0)
        let wasRead = ledger.state.read(Self.at(2), value: [2])
        #expect(wasRead == .ignored, "a revoked partition's records are ignored")
    }

    @Test func aRecordReadAgainAfterARewindIsIgnored() {
        let ledger = Self.ledger()
        Self.readValid(ledger, count: 2)
        let wasRead = ledger.state.read(Self.at(1), value: [1])
        #expect(wasRead == .ignored)
        #expect(ledger.state.openRecords == 2)
    }
}

/// The ledger behind a reference, so that `#expect` may call its mutating
/// methods.
final class LedgerBox {
    var state: IntakeLedger
    init(_ state: IntakeLedger) { self.state = state }
}
