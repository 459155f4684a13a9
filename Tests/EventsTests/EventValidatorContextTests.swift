import ConsensusCore
import Events
import Testing
import Wire

/// The reasons that depend on context (trust store, topic, clock), which the
/// vector file cannot fix.
@Suite struct EventValidatorContextTests {
    static let key = try! Ed25519.SigningKey(seed: Array(repeating: 7, count: 32))
    static let now: Int64 = 1_767_225_600_000
    static let payload = Array(#"{"id":"a-1","type":"scan","severity":4,"confidence":0.5}"#.utf8)

    static func event(domain: EventDomain = .anomaly, producer: String = "det-1", at timestamp: Int64 = now) -> [UInt8] {
        SignedEvent.make(
            domain: domain, timestampMs: timestamp, producerID: producer, nonce: Array(repeating: 1, count: 16),
            payload: domain == .anomaly ? payload : Array(#"{"id":"p","action":"block","version":1}"#.utf8),
            signingKey: key
        ).encoded()
    }

    static func validator(domains: Set<EventDomain> = [.anomaly]) -> EventValidator {
        EventValidator(trustStore: try! TrustStore(producers: [.init(id: "det-1", publicKey: key.publicKey, domains: domains)]))
    }

    static func reason(_ result: Result<VerifiedEvent, EventRejection>) -> RejectionReason? {
        if case let .failure(rejection) = result { return rejection.reason }
        return nil
    }

    @Test func aProducerOutsideTheTrustStoreIsUnknown() {
        #expect(Self.reason(Self.validator().validate(record: Self.event(producer: "det-2"), topicDomain: .anomaly, nowMs: Self.now)) == .unknownProducer)
    }

    @Test func aDomainTheProducerMayNotPublishIsRefused() {
        #expect(Self.reason(Self.validator().validate(record: Self.event(domain: .policy), topicDomain: .policy, nowMs: Self.now)) == .domainNotAllowed)
    }

    @Test func anEventOnAnotherDomainsTopicIsAMismatch() {
        #expect(Self.reason(Self.validator().validate(record: Self.event(), topicDomain: .evidence, nowMs: Self.now)) == .domainMismatch)
    }

    @Test func timestampsWithinTheToleranceAreAccepted() {
        let validator = Self.validator()
        for offset: Int64 in [-300_000, -1, 0, 1, 300_000] {
            #expect(Self.reason(validator.validate(record: Self.event(at: Self.now + offset), topicDomain: .anomaly, nowMs: Self.now)) == nil)
        }
    }

    @Test func aTimestampOlderThanTheToleranceIsStale() {
        #expect(Self.reason(Self.validator().validate(record: Self.event(at: Self.now - 300_001), topicDomain: .anomaly, nowMs: Self.now)) == .staleTimestamp)
    }

    @Test func aTimestampFurtherAheadThanTheToleranceIsFuture() {
        #expect(Self.reason(Self.validator().validate(record: Self.event(at: Self.now + 300_001), topicDomain: .anomaly, nowMs: Self.now)) == .futureTimestamp)
    }

    @Test func extremeTimestampsDoNotOverflow() {
        let validator = Self.validator()
        #expect(Self.reason(validator.validate(record: Self.event(at: .min), topicDomain: .anomaly, nowMs: Self.now)) == .staleTimestamp)
        #expect(Self.reason(validator.validate(record: Self.event(at: .max), topicDomain: .anomaly, nowMs: Self.now)) == .futureTimestamp)
    }

    @Test func aRecordAboveTheSizeLimitIsOversizeBeforeDecoding() {
        let record = Array(repeating: UInt8(0xFF), count: 70_000)
        #expect(Self.reason(Self.validator().validate(record: record, topicDomain: .anomaly, nowMs: Self.now)) == .oversize)
    }

    @Test func aValidEventCarriesItsTransactionId() throws {
        let result = Self.validator().validate(record: Self.event(), topicDomain: .anomaly, nowMs: Self.now)
        let verified = try result.get()
        #expect(verified.transactionID == SHA256.hash(verified.signBytes))
        #expect(verified.payload.id == "a-1")
    }
}

@Suite struct TrustStoreTests {
    static let keyHex = String(repeating: "ab", count: 32)

    @Test func theContractExampleParses() throws {
        let json = #"{"producers": [{"id": "detector-1", "public_key": "\#(Self.keyHex)", "domains": ["ai.anomaly.v1", "ai.evidence.v1"]}]}"#
        let store = try TrustStore.parse(Array(json.utf8))
        #expect(store.producers["detector-1"]?.domains == [.anomaly, .evidence])
    }

    @Test("a bad entry is refused naming the field", arguments: [
        (#"{"producers": [{"id": "d", "public_key": "abc", "domains": []}]}"#, "producers[0].public_key"),
        (#"{"producers": [{"public_key": "x", "domains": []}]}"#, "producers[0].id"),
        (#"{"producers": [{"id": "d", "public_key": "KEY", "domains": ["ai.other.v1"]}]}"#, "producers[0].domains"),
        (#"{"producer": []}"#, "producers"),
        (#"{"producers": [{"id": "bad id", "public_key": "KEY", "domains": []}]}"#, "bad id"),
        (#"{"producers": [{"id": "d", "public_key": "KEY", "domains": []}, {"id": "d", "public_key": "KEY", "domains": []}]}"#, "twice"),
        ("not json", "not valid JSON"),
    ])
    func badEntries(json: String, mention: String) {
        do {
            _ = try TrustStore.parse(Array(json.replacingOccurrences(of: "KEY", with: Self.keyHex).utf8))
            Issue.record("accepted a bad trust store")
        } catch {
            #expect(error.description.contains(mention), "\(error)")
        }
    }
}
