/// Reads back what `CanonicalEncoder` wrote, for state entries arriving in a
/// snapshot from a peer: every read is bounds-checked and a short or
/// malformed input is an error, never a crash.
public struct CanonicalDecoder: Sendable {
    public struct Truncated: Error, Equatable, Sendable {}

    private let bytes: [UInt8]
    private var offset = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    public var isAtEnd: Bool { offset == bytes.count }

    public mutating func uint8() throws(Truncated) -> UInt8 {
        guard offset < bytes.count else { throw Truncated() }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func uint32() throws(Truncated) -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 { value = value << 8 | UInt32(try uint8()) }
        return value
    }

    public mutating func uint64() throws(Truncated) -> UInt64 {
        var value: UInt64 = 0
        for _ in 0..<8 { value = value << 8 | UInt64(try uint8()) }
        return value
    }

    public mutating func int64() throws(Truncated) -> Int64 { Int64(bitPattern: try uint64()) }

    public mutating func fixed(_ count: Int) throws(Truncated) -> [UInt8] {
        guard count >= 0, bytes.count - offset >= count else { throw Truncated() }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// Length-prefixed bytes.
    public mutating func lengthPrefixed() throws(Truncated) -> [UInt8] {
        let count = try uint32()
        guard count <= UInt32(bytes.count - offset) else { throw Truncated() }
        return try fixed(Int(count))
    }

    /// Length-prefixed UTF-8 (invalid UTF-8 is refused, not repaired).
    public mutating func string() throws(Truncated) -> String {
        let raw = try lengthPrefixed()
        guard let text = String(validating: raw, as: UTF8.self) else { throw Truncated() }
        return text
    }

    public mutating func hash() throws(Truncated) -> Hash32 { Hash32(bytes: try fixed(Hash32.byteCount))! }
}
