import ConsensusCore
import Events
import Foundation
import Wire

/// Freshly signed events as AI detectors would publish them: all three
/// domains, every payload valid per CONTRACT §1, ids unique per run (so the
/// state machine applies them rather than rejecting duplicates), producers
/// taken in turn so the mempool's per-producer limits share the load.
struct EventGenerator {
    struct Producer: Sendable {
        let id: String
        let key: Ed25519.SigningKey
    }

    let producers: [Producer]
    private let run = UInt64.random(in: 0...UInt64.max)
    private var number = 0

    init(producers: [Producer]) {
        precondition(!producers.isEmpty, "at least one producer")
        self.producers = producers
    }

    mutating func next(nowMs: Int64) -> (record: [UInt8], id: Hash32) {
        number += 1
        let producer = producers[number % producers.count]
        let tag = "\(String(run, radix: 36))-\(number)"
        let domain: EventDomain
        let json: String
        switch number % 10 {
        case 0..<5:
            domain = .anomaly
            json = #"{"id":"a-\#(tag)","type":"port-scan","severity":\#(1 + number % 10),"confidence":0.87,"source":"10.1.\#(number % 250).7","target":"10.0.0.\#(number % 250)","model":"load-v1"}"#
        case 5..<8:
            domain = .evidence
            json = #"{"id":"e-\#(tag)","anomaly_id":"a-\#(String(run, radix: 36))-\#(max(1, number - 1))","kind":"pcap","data":{"bytes":\#(number % 4096)}}"#
        default:
            domain = .policy
            json = #"{"id":"policy-\#(tag)","action":"block","version":1,"rule":{"cidr":"10.0.\#(number % 250).0/24"}}"#
        }
        var nonce = [UInt8](repeating: 0, count: SignBytes.nonceByteCount)
        for index in nonce.indices { nonce[index] = UInt8.random(in: 0...255) }
        let event = SignedEvent.make(
            domain: domain, timestampMs: nowMs, producerID: producer.id, nonce: nonce, payload: Array(json.utf8), signingKey: producer.key)
        let signBytes = (try? event.signBytes()) ?? []
        return (event.encoded(), Hash32(bytes: SignBytes.transactionID(of: signBytes).bytes)!)
    }

    /// Reads `{"producers": [{"id": ..., "secret_key_hex": ...}, ...]}` (the
    /// development credentials `make run` writes next to the trust store).
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
            return Producer(id: id, key: key)
        }
    }
}

/// A startup error with its text.
struct ValidationErrorText: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
