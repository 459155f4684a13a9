import ConsensusCore
import Events
import Testing
import Wire

/// Every vector of Tests/Fixtures/event-vectors.json, made by an independent
/// implementation (scripts/make-event-vectors.py), must agree with ours.
@Suite struct EventVectorTests {
    static let vectors: [EventVector] = (try? EventVector.all()) ?? []

    @Test func theVectorFileCoversValidEventsOfEveryDomainAndEveryContextFreeReason() {
        let validDomains = Set(Self.vectors.filter(\.valid).map(\.domain))
        #expect(validDomains == Set(EventDomain.allCases.map(\.rawValue)))
        let reasons = Set(Self.vectors.compactMap(\.reason))
        #expect(reasons == ["malformed", "oversize", "bad_signature", "bad_content_hash", "bad_payload"])
    }

    @Test("sign bytes and transaction id match the vector", arguments: vectors.filter { $0.sign_bytes_hex != nil })
    func signBytesMatch(vector: EventVector) throws {
        let nonce = try #require(Hex.decode(vector.nonce_hex))
        let contentHash = try #require(Hex.decode(vector.content_hash_hex))
        let bytes = try SignBytes.compute(
            domain: vector.domain, timestampMs: vector.timestamp_ms, producerID: vector.producer_id,
            nonce: nonce, contentHash: contentHash)
        #expect(Hex.encode(bytes) == vector.sign_bytes_hex)
        #expect(SignBytes.transactionID(of: bytes).hex == vector.tx_id_hex)
    }

    @Test("our Ed25519 signature from the seed equals the vector's", arguments: vectors.filter(\.valid))
    func signatureFromSeedMatches(vector: EventVector) throws {
        let seed = try #require(Hex.decode(vector.seed_hex))
        let key = try Ed25519.SigningKey(seed: seed)
        #expect(key.publicKey.hex == vector.public_key_hex)
        let signBytesHex = try #require(vector.sign_bytes_hex)
        let signBytes = try #require(Hex.decode(signBytesHex))
        #expect(key.sign(signBytes).hex == vector.signature_hex)
    }

    @Test("a decodable event re-encodes to exactly the vector's bytes", arguments: vectors.filter { $0.reason != "malformed" })
    func encodingRoundTrips(vector: EventVector) throws {
        let bytes = try #require(Hex.decode(vector.event_hex))
        let event = try SignedEvent.decode(bytes)
        #expect(event.domain == vector.domain)
        #expect(event.timestampMs == vector.timestamp_ms)
        #expect(event.producerID == vector.producer_id)
        #expect(Hex.encode(event.nonce) == vector.nonce_hex)
        #expect(Hex.encode(event.contentHash) == vector.content_hash_hex)
        #expect(Hex.encode(event.signature) == vector.signature_hex)
        #expect(event.encoded() == bytes)
    }

    @Test("validation gives the vector's verdict and reason", arguments: vectors)
    func validationVerdict(vector: EventVector) throws {
        let key = try #require(Ed25519.PublicKey(hex: vector.public_key_hex))
        // A producer id the trust store itself refuses stays out of it; the
        // validator must then still say `malformed`, not `unknown_producer`.
        let producers: [TrustStore.Producer] = ProducerID.isValid(vector.producer_id)
            ? [.init(id: vector.producer_id, publicKey: key, domains: Set(EventDomain.allCases))] : []
        let store = try TrustStore(producers: producers)
        let validator = EventValidator(trustStore: store)
        let topic = EventDomain(rawValue: vector.domain) ?? .anomaly
        let record = try #require(Hex.decode(vector.event_hex))
        let result = validator.validate(record: record, topicDomain: topic, nowMs: vector.timestamp_ms)
        switch result {
        case let .success(verified):
            #expect(vector.valid, "accepted an event the vector rejects for \(vector.reason ?? "?")")
            #expect(verified.transactionID.hex == vector.tx_id_hex)
        case let .failure(rejection):
            #expect(!vector.valid, "rejected a valid vector: \(rejection)")
            #expect(rejection.reason.rawValue == vector.reason, "\(rejection.detail)")
        }
    }
}
