/// The deterministic byte encoding of everything the core signs or hashes:
/// a domain-separation string first (so a signature for one kind of message
/// can never be replayed as another), then fields in a fixed order, integers
/// big-endian, variable-length fields prefixed with their 32-bit length.
public struct CanonicalEncoder: Sendable {
    public private(set) var bytes: [UInt8] = []

    public init(domain: String) {
        append(domain)
    }

    /// An encoder without a domain prefix, for values stored under a key
    /// that already says what they are (state entries).
    public init() {}

    public mutating func append(_ value: UInt8) { bytes.append(value) }

    public mutating func append(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    public mutating func append(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    public mutating func append(_ value: Int64) { append(UInt64(bitPattern: value)) }

    public mutating func append(_ value: Bool) { bytes.append(value ? 1 : 0) }

    /// Length-prefixed bytes.
    public mutating func append(_ value: [UInt8]) {
        append(UInt32(value.count))
        bytes += value
    }

    /// Length-prefixed UTF-8.
    public mutating func append(_ value: String) { append(Array(value.utf8)) }

    /// Bytes whose length is fixed by the field (hashes, keys): no prefix.
    public mutating func appendFixed(_ value: [UInt8]) { bytes += value }

    public mutating func append(_ value: Hash32) { value.append(to: &bytes) }
}
