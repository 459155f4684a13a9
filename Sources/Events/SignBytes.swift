import Wire

/// The exact byte string a producer signs (CONTRACT §1). Any implementation of
/// the contract must produce these bytes; `Tests/Fixtures/event-vectors.json`
/// lets it check.
public enum SignBytes {
    /// `cybermesh.event.v1` followed by one 0x00 byte.
    public static let prefix: [UInt8] = Array("cybermesh.event.v1".utf8) + [0]
    public static let nonceByteCount = 16

    /// Concatenates prefix, length-prefixed domain, big-endian timestamp,
    /// length-prefixed producer id, nonce and content hash.
    public static func compute(
        domain: String, timestampMs: Int64, producerID: String, nonce: [UInt8], contentHash: [UInt8]
    ) throws(SignBytesError) -> [UInt8] {
        let domainBytes = Array(domain.utf8)
        let producerBytes = Array(producerID.utf8)
        guard domainBytes.count <= 255 else { throw .fieldTooLong(field: "domain", length: domainBytes.count) }
        guard producerBytes.count <= 255 else { throw .fieldTooLong(field: "producer_id", length: producerBytes.count) }
        guard nonce.count == nonceByteCount else { throw .wrongSize(field: "nonce", expected: nonceByteCount, actual: nonce.count) }
        guard contentHash.count == SHA256Digest.byteCount else {
            throw .wrongSize(field: "content_hash", expected: SHA256Digest.byteCount, actual: contentHash.count)
        }
        var out: [UInt8] = []
        out.reserveCapacity(prefix.count + 2 + domainBytes.count + 8 + producerBytes.count + 16 + 32)
        out += prefix
        out.append(UInt8(domainBytes.count))
        out += domainBytes
        let timestamp = UInt64(bitPattern: timestampMs)
        for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: timestamp >> UInt64(shift))) }
        out.append(UInt8(producerBytes.count))
        out += producerBytes
        out += nonce
        out += contentHash
        return out
    }

    /// The transaction id: SHA-256 of the sign bytes.
    public static func transactionID(of signBytes: [UInt8]) -> SHA256Digest {
        SHA256.hash(signBytes)
    }
}

/// Why sign bytes cannot be formed from an event's fields.
public enum SignBytesError: Error, Equatable, CustomStringConvertible {
    case fieldTooLong(field: String, length: Int)
    case wrongSize(field: String, expected: Int, actual: Int)

    public var description: String {
        switch self {
        case let .fieldTooLong(field, length): return "\(field) is \(length) bytes; at most 255 can be signed"
        case let .wrongSize(field, expected, actual): return "\(field) must be \(expected) bytes, got \(actual)"
        }
    }
}
