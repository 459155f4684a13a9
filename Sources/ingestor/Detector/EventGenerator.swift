import ConsensusCore
import Events
import Foundation
import Wire

/// Freshly signed events as the seed's AI detector publishes them:
/// anomalies, evidence naming an earlier anomaly, and updates of a few
/// policies with rising versions. Every payload is valid per CONTRACT §1,
/// ids are unique per run (so the state machine applies them rather than
/// rejecting duplicates), and producers are taken in turn so that the
/// mempool's per-producer limits share the load (each event from a
/// producer allowed its domain, when the credentials say).
struct EventGenerator {
    struct Producer: Sendable {
        let id: String
        let key: Ed25519.SigningKey
        /// The domains the trust store allows it; nil when the credentials
        /// file does not say (then all are assumed).
        let domains: Set<EventDomain>?
    }

    /// One generated event before signing.
    struct Draft {
        let domain: EventDomain
        let payload: [UInt8]
        let producer: Producer
    }

    let producers: [Producer]
    private let run = String(UInt64.random(in: 0...UInt64.max), radix: 36)
    private var number = 0

    init(producers: [Producer]) {
        precondition(!producers.isEmpty, "at least one producer")
        self.producers = producers
    }

    /// The next event's domain, payload and producer.
    mutating func nextDraft() -> Draft {
        number += 1
        let tag = "\(run)-\(number)"
        let domain: EventDomain
        let json: String
        switch number % 10 {
        case 0..<5:
            domain = .anomaly
            json = #"{"id":"a-\#(tag)","type":"port-scan","severity":\#(1 + number % 10),"confidence":0.87,"source":"10.1.\#(number % 250).7","target":"10.0.0.\#(number % 250)","model":"detector-v1"}"#
        case 5..<8:
            domain = .evidence
            json = #"{"id":"e-\#(tag)","anomaly_id":"a-\#(run)-\#(max(1, number - number % 10))","kind":"pcap","data":{"bytes":\#(number % 4096)}}"#
        default:
            domain = .policy
            json = #"{"id":"policy-\#(run)-\#(number % 4)","action":"block","version":\#(number),"rule":{"cidr":"10.0.\#(number % 250).0/24"}}"#
        }
        let allowed = producers.filter { $0.domains?.contains(domain) ?? true }
        let producer = allowed.isEmpty ? producers[number % producers.count] : allowed[number % allowed.count]
        return Draft(domain: domain, payload: Array(json.utf8), producer: producer)
    }

    /// Signs a draft with a fresh random nonce.
    static func sign(_ draft: Draft, timestampMs: Int64) -> SignedEvent {
        SignedEvent.make(
            domain: draft.domain, timestampMs: timestampMs, producerID: draft.producer.id, nonce: randomNonce(),
            payload: draft.payload, signingKey: draft.producer.key)
    }

    /// The next valid event, encoded, with its transaction id.
    mutating func next(nowMs: Int64) -> (record: [UInt8], id: Hash32) {
        let event = Self.sign(nextDraft(), timestampMs: nowMs)
        return (event.encoded(), Self.transactionID(event))
    }

    static func transactionID(_ event: SignedEvent) -> Hash32 {
        Hash32(bytes: SignBytes.transactionID(of: (try? event.signBytes()) ?? []).bytes)!
    }

    static func randomNonce() -> [UInt8] {
        (0..<SignBytes.nonceByteCount).map { _ in UInt8.random(in: 0...255) }
    }

    /// Reads `{"producers": [{"id": ..., "secret_key_hex": ..., "domains":
    /// [...]?}, ...]}` (the development credentials `make run` writes next to
    /// the trust store; `domains` is optional).
    static func loadProducers(path: String) throws -> [Producer] {
        guard let data = FileManager.default.contents(atPath: path) else { throw ValidationErrorText("cannot read producers file \(path)") }
        guard case let .array(items)? = try JSONParser.parse(Array(data))["producers"] else {
            throw ValidationErrorText("\(path): \"producers\" must be an array")
        }
        return try items.enumerated().map { index, item in
            guard case let .string(id)? = item["id"], ProducerID.isValid(id) else {
                throw ValidationErrorText("\(path): producers[\(index)].id must be 1-64 characters of [A-Za-z0-9._-]")
            }
            guard case let .string(hex)? = item["secret_key_hex"], let seed = Hex.decode(hex), let key = try? Ed25519.SigningKey(seed: seed) else {
                throw ValidationErrorText("\(path): producers[\(index)].secret_key_hex must be 64 hex characters (an Ed25519 seed)")
            }
            var domains: Set<EventDomain>?
            if let listed = item["domains"] {
                guard case let .array(values) = listed else { throw ValidationErrorText("\(path): producers[\(index)].domains must be an array") }
                domains = try Set(values.map { value in
                    guard case let .string(name) = value, let domain = EventDomain(rawValue: name) else {
                        throw ValidationErrorText("\(path): producers[\(index)].domains holds an unknown domain")
                    }
                    return domain
                })
            }
            return Producer(id: id, key: key, domains: domains)
        }
    }
}

/// A startup error with its text.
struct ValidationErrorText: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
