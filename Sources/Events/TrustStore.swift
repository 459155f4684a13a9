import ConsensusCore
import Wire
import Foundation

/// The producers whose events are accepted, and the domains each may publish
/// (CONTRACT §4). Loaded from the JSON file named by `TRUST_STORE_FILE`.
public struct TrustStore: Sendable, Equatable {
    /// One trusted producer.
    public struct Producer: Sendable, Equatable {
        public let id: String
        public let publicKey: Ed25519.PublicKey
        public let domains: Set<EventDomain>

        public init(id: String, publicKey: Ed25519.PublicKey, domains: Set<EventDomain>) {
            self.id = id
            self.publicKey = publicKey
            self.domains = domains
        }
    }

    public let producers: [String: Producer]

    public init(producers: [Producer]) throws(TrustStoreError) {
        var byID: [String: Producer] = [:]
        for producer in producers {
            guard ProducerID.isValid(producer.id) else { throw .invalidProducerID(producer.id) }
            guard byID[producer.id] == nil else { throw .duplicateProducer(producer.id) }
            byID[producer.id] = producer
        }
        self.producers = byID
    }

    /// Parses the trust-store JSON. Every problem names the entry and field.
    public static func parse(_ data: [UInt8]) throws(TrustStoreError) -> TrustStore {
        let json: JSONValue
        do { json = try JSONParser.parse(data) } catch { throw .invalidJSON(error.description) }
        guard case let .array(entries)? = json["producers"] else {
            throw .invalidField(entry: nil, field: "producers", expected: "an array of producer objects")
        }
        var producers: [Producer] = []
        for (index, entry) in entries.enumerated() {
            guard case let .string(id)? = entry["id"] else {
                throw .invalidField(entry: index, field: "id", expected: "a string of 1-64 [A-Za-z0-9._-]")
            }
            guard case let .string(keyHex)? = entry["public_key"], let key = Ed25519.PublicKey(hex: keyHex) else {
                throw .invalidField(entry: index, field: "public_key", expected: "64 hex characters (an Ed25519 public key)")
            }
            guard case let .array(domainValues)? = entry["domains"] else {
                throw .invalidField(entry: index, field: "domains", expected: "an array of domain strings")
            }
            var domains = Set<EventDomain>()
            for value in domainValues {
                guard case let .string(name) = value, let domain = EventDomain(rawValue: name) else {
                    throw .invalidField(entry: index, field: "domains", expected: "only \(EventDomain.allCases.map(\.rawValue).joined(separator: ", "))")
                }
                domains.insert(domain)
            }
            producers.append(Producer(id: id, publicKey: key, domains: domains))
        }
        return try TrustStore(producers: producers)
    }

    /// Reads and parses the file at `path`.
    public static func load(path: String) throws(TrustStoreError) -> TrustStore {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        return try parse(Array(data))
    }
}

/// Why a trust store cannot be used.
public enum TrustStoreError: Error, Equatable, CustomStringConvertible {
    case unreadable(path: String)
    case invalidJSON(String)
    case invalidField(entry: Int?, field: String, expected: String)
    case invalidProducerID(String)
    case duplicateProducer(String)

    public var description: String {
        switch self {
        case let .unreadable(path): return "trust store \(path) cannot be read (TRUST_STORE_FILE)"
        case let .invalidJSON(detail): return "trust store is not valid JSON: \(detail)"
        case let .invalidField(entry, field, expected):
            let place = entry.map { "producers[\($0)]." } ?? ""
            return "trust store \(place)\(field) must be \(expected)"
        case let .invalidProducerID(id): return "trust store producer id \"\(id)\" must be 1-64 characters of [A-Za-z0-9._-]"
        case let .duplicateProducer(id): return "trust store lists producer \"\(id)\" twice"
        }
    }
}

/// The producer-id rule of CONTRACT §1: 1-64 bytes of `[A-Za-z0-9._-]`.
public enum ProducerID {
    public static func isValid(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
    }
}
