// libFuzzer target: SignedEvent parsing and full validation, as the ingestor
// runs it on every Kafka record. The trust store holds the producer of the
// seed corpus (Tests/Fixtures/event-vectors.json), so mutations of valid
// events reach the signature and payload checks, not just the decoder.
import ConsensusCore
import Events
import FuzzSupport
import Wire

let validator: EventValidator = {
    var producers: [TrustStore.Producer] = []
    for name in ["detector-1", "Det.ector_9-X", String(repeating: "p", count: 64)] {
        let seed = SHA256.hash(Array("cybermesh vector seed \(name)".utf8)).bytes
        let key = try! Ed25519.SigningKey(seed: seed)
        producers.append(.init(id: name, publicKey: key.publicKey, domains: Set(EventDomain.allCases)))
    }
    return EventValidator(trustStore: try! TrustStore(producers: producers))
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSignedEvent(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let event = try? SignedEvent.decode(bytes) {
        precondition((try? SignedEvent.decode(event.encoded())) == event, "event did not survive re-encoding")
        let now = event.timestampMs
        if case let .success(verified) = validator.validate(record: bytes, topicDomain: EventDomain(rawValue: event.domain) ?? .anomaly, nowMs: now) {
            precondition(verified.transactionID == SHA256.hash(verified.signBytes), "tx id is not SHA-256(sign bytes)")
        }
    } else {
        _ = validator.validate(record: bytes, topicDomain: .anomaly, nowMs: 0)
    }
    return 0
}

@_cdecl("FuzzSignedEvent_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv, fuzzSignedEvent)
}
