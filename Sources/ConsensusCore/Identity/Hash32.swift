/// A 32-byte digest inside the consensus core (block hashes, Merkle roots,
/// certificate hashes). The core never computes it itself: hashing is
/// injected (`ConsensusCrypto`), so the daemon uses libsodium's SHA-256.
public struct Hash32: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    public static let zero = Hash32(uncheckedBytes: [UInt8](repeating: 0, count: 32))

    public let bytes: [UInt8]

    /// Wraps exactly 32 bytes; nil otherwise.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.bytes = bytes
    }

    init(uncheckedBytes: [UInt8]) { bytes = uncheckedBytes }

    /// Feeds the 32 bytes in one call (the synthesized conformance feeds
    /// them one at a time, which dominated dictionary lookups).
    public func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public static func == (lhs: Hash32, rhs: Hash32) -> Bool { lhs.bytes == rhs.bytes }

    public static func < (lhs: Hash32, rhs: Hash32) -> Bool { lhs.bytes.lexicographicallyPrecedes(rhs.bytes) }

    /// Lowercase hex.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The first 8 hex characters, for logs.
    public var short: String { String(hex.prefix(8)) }
    public var description: String { hex }
}
