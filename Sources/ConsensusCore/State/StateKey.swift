/// Every kind of entry the ledger state holds, with its canonical key bytes
/// (the Merkle tree is keyed by their hash) and the values stored under it.
/// Snapshots carry exactly these bytes, so the encoding is part of the
/// protocol: change it only with a new tag.
public enum StateKey: Hashable, Sendable {
    case anomaly(id: String)
    case evidence(anomalyID: String, id: String)
    case policy(id: String)
    case domainCount(EventDomain)
    case severityCount(Int)
    case producerCount(String)
    case nonce(NonceKey)
    /// A block's results, in slot height % `LedgerState.resultsHistory`.
    case blockResults(slot: UInt8)

    public var bytes: [UInt8] {
        var encoder = CanonicalEncoder()
        switch self {
        case let .anomaly(id):
            encoder.append(UInt8(0x01))
            encoder.append(id)
        case let .evidence(anomalyID, id):
            encoder.append(UInt8(0x02))
            encoder.append(anomalyID)
            encoder.append(id)
        case let .policy(id):
            encoder.append(UInt8(0x03))
            encoder.append(id)
        case let .domainCount(domain):
            encoder.append(UInt8(0x10))
            encoder.append(domain.rawValue)
        case let .severityCount(severity):
            encoder.append(UInt8(0x11))
            encoder.append(UInt8(clamping: severity))
        case let .producerCount(producer):
            encoder.append(UInt8(0x12))
            encoder.append(producer)
        case let .nonce(key):
            encoder.append(UInt8(0x20))
            encoder.append(key.producerID)
            encoder.append(key.nonce)
        case let .blockResults(slot):
            encoder.append(UInt8(0x30))
            encoder.append(slot)
        }
        return encoder.bytes
    }

    /// Parses key bytes from a snapshot; nil for anything this version did not write.
    public init?(bytes: [UInt8]) {
        var decoder = CanonicalDecoder(bytes)
        do throws(CanonicalDecoder.Truncated) {
            switch try decoder.uint8() {
            case 0x01: self = .anomaly(id: try decoder.string())
            case 0x02: self = .evidence(anomalyID: try decoder.string(), id: try decoder.string())
            case 0x03: self = .policy(id: try decoder.string())
            case 0x10:
                guard let domain = EventDomain(rawValue: try decoder.string()) else { return nil }
                self = .domainCount(domain)
            case 0x11:
                let severity = Int(try decoder.uint8())
                guard (1...10).contains(severity) else { return nil }
                self = .severityCount(severity)
            case 0x12: self = .producerCount(try decoder.string())
            case 0x20: self = .nonce(NonceKey(producerID: try decoder.string(), nonce: try decoder.lengthPrefixed()))
            case 0x30:
                let slot = try decoder.uint8()
                guard UInt64(slot) < LedgerState.resultsHistory else { return nil }
                self = .blockResults(slot: slot)
            default: return nil
            }
        } catch {
            return nil
        }
        guard decoder.isAtEnd else { return nil }
    }
}

/// An anomaly in force, by its payload id.
public struct AnomalyRecord: Hashable, Sendable {
    public let txID: Hash32
    public let producerID: String
    public let type: String
    public let severity: Int
    public let height: UInt64
}

/// One piece of evidence, under the anomaly id it names.
public struct EvidenceRecord: Hashable, Sendable {
    public let txID: Hash32
    public let producerID: String
    public let kind: String
    public let height: UInt64
}

/// The policy version in force for a policy id.
public struct PolicyRecord: Hashable, Sendable {
    public let txID: Hash32
    public let version: Int64
    public let action: String
    public let height: UInt64
}

/// A committed (producer, nonce), kept until it can no longer be replayed:
/// until block time passes `expiresAtMs`, by which point any event carrying it
/// is itself expired.
public struct NonceRecord: Hashable, Sendable {
    public let txID: Hash32
    public let expiresAtMs: Int64
}

/// Value encodings (no domain prefix: the key says what the value is).
enum StateValue {
    static func encode(_ record: ResultsRecord) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.append(record.height)
        encoder.append(record.rootBefore)
        encoder.append(record.outcomesHash)
        return encoder.bytes
    }

    static func results(_ bytes: [UInt8]) throws(CanonicalDecoder.Truncated) -> ResultsRecord {
        var decoder = CanonicalDecoder(bytes)
        let record = ResultsRecord(height: try decoder.uint64(), rootBefore: try decoder.hash(), outcomesHash: try decoder.hash())
        guard decoder.isAtEnd else { throw CanonicalDecoder.Truncated() }
        return record
    }

    static func encode(_ record: AnomalyRecord) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.append(record.txID)
        encoder.append(record.producerID)
        encoder.append(record.type)
        encoder.append(UInt8(clamping: record.severity))
        encoder.append(record.height)
        return encoder.bytes
    }

    static func anomaly(_ bytes: [UInt8]) throws(CanonicalDecoder.Truncated) -> AnomalyRecord {
        var decoder = CanonicalDecoder(bytes)
        let record = AnomalyRecord(
            txID: try decoder.hash(), producerID: try decoder.string(), type: try decoder.string(),
            severity: Int(try decoder.uint8()), height: try decoder.uint64())
        guard decoder.isAtEnd else { throw CanonicalDecoder.Truncated() }
        return record
    }

    static func encode(_ record: EvidenceRecord) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.append(record.txID)
        encoder.append(record.producerID)
        encoder.append(record.kind)
        encoder.append(record.height)
        return encoder.bytes
    }

    static func evidence(_ bytes: [UInt8]) throws(CanonicalDecoder.Truncated) -> EvidenceRecord {
        var decoder = CanonicalDecoder(bytes)
        let record = EvidenceRecord(txID: try decoder.hash(), producerID: try decoder.string(), kind: try decoder.string(), height: try decoder.uint64())
        guard decoder.isAtEnd else { throw CanonicalDecoder.Truncated() }
        return record
    }

    static func encode(_ record: PolicyRecord) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.append(record.txID)
        encoder.append(record.version)
        encoder.append(record.action)
        encoder.append(record.height)
        return encoder.bytes
    }

    static func policy(_ bytes: [UInt8]) throws(CanonicalDecoder.Truncated) -> PolicyRecord {
        var decoder = CanonicalDecoder(bytes)
        let record = PolicyRecord(txID: try decoder.hash(), version: try decoder.int64(), action: try decoder.string(), height: try decoder.uint64())
        guard decoder.isAtEnd else { throw CanonicalDecoder.Truncated() }
        return record
    }

    static func encode(_ record: NonceRecord) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.append(record.txID)
        encoder.append(record.expiresAtMs)
        return encoder.bytes
    }

    static func nonce(_ bytes: [UInt8]) throws(CanonicalDecoder.Truncated) -> NonceRecord {
        var decoder = CanonicalDecoder(bytes)
        let record = NonceRecord(txID: try decoder.hash(), expiresAtMs: try decoder.int64())
        guard decoder.isAtEnd else { throw CanonicalDecoder.Truncated() }
        return record
    }

    static func encode(count: UInt64) -> [UInt8] {
        var encoder = CanonicalEncoder()
        encoder.append(count)
        return encoder.bytes
    }

    static func count(_ bytes: [UInt8]) throws(CanonicalDecoder.Truncated) -> UInt64 {
        var decoder = CanonicalDecoder(bytes)
        let value = try decoder.uint64()
        guard decoder.isAtEnd else { throw CanonicalDecoder.Truncated() }
        return value
    }
}
