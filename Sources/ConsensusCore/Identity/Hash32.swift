/// A 32-byte digest inside the consensus core (block hashes, Merkle roots,
/// certificate hashes). The core never computes it itself: hashing is
/// injected (`ConsensusCrypto`), so the daemon uses libsodium's SHA-256.
///
/// Stored inline as four big-endian words rather than an array: hashes are
/// copied, compared and used as dictionary keys on every hot path (Merkle
/// nodes, transaction ids, votes), and an array would cost a heap
/// allocation and reference counting per copy.
public struct Hash32: Hashable, Comparable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    public static let zero = Hash32(words: (0, 0, 0, 0))

    private let w0: UInt64
    private let w1: UInt64
    private let w2: UInt64
    private let w3: UInt64

    private init(words: (UInt64, UInt64, UInt64, UInt64)) {
        (w0, w1, w2, w3) = words
    }

    /// Wraps exactly 32 bytes; nil otherwise.
    public init?(bytes: [UInt8]) {
        guard bytes.count == Self.byteCount else { return nil }
        self.init(words: bytes.withUnsafeBytes { raw in
            func word(_ index: Int) -> UInt64 { UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8 * index, as: UInt64.self)) }
            return (word(0), word(1), word(2), word(3))
        })
    }

    /// The 32 bytes, in order (allocates: hot paths use `append(to:)`).
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(Self.byteCount)
        append(to: &out)
        return out
    }

    /// Appends the 32 bytes to `out` without an intermediate array.
    public func append(to out: inout [UInt8]) {
        func appendWord(_ word: UInt64) {
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: word >> UInt64(shift))) }
        }
        appendWord(w0)
        appendWord(w1)
        appendWord(w2)
        appendWord(w3)
    }

    /// `tag ‖ first ‖ second`: the input of a domain-separated Merkle hash
    /// (leaf or node), built in one allocation.
    public static func merkleInput(tag: UInt8, _ first: Hash32, _ second: Hash32? = nil) -> [UInt8] {
        var out: [UInt8] = [tag]
        out.reserveCapacity(1 + 2 * byteCount)
        first.append(to: &out)
        second?.append(to: &out)
        return out
    }

    /// Byte `index` (0 ..< 32).
    public func byte(at index: Int) -> UInt8 {
        let word: UInt64
        switch index >> 3 {
        case 0: word = w0
        case 1: word = w1
        case 2: word = w2
        default: word = w3
        }
        return UInt8(truncatingIfNeeded: word >> UInt64(56 - 8 * (index & 7)))
    }

    /// Bit `index` (0 ..< 256), most significant bit of byte 0 first: the
    /// path of a key in the Merkle state tree.
    public func bit(at index: Int) -> Bool {
        byte(at: index >> 3) & (0x80 >> UInt8(index & 7)) != 0
    }

    /// Byte-wise lexicographic order (big-endian words compare the same way).
    public static func < (lhs: Hash32, rhs: Hash32) -> Bool {
        (lhs.w0, lhs.w1, lhs.w2, lhs.w3) < (rhs.w0, rhs.w1, rhs.w2, rhs.w3)
    }

    /// Lowercase hex.
    public var hex: String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for index in 0..<Self.byteCount {
            let byte = byte(at: index)
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The first 8 hex characters, for logs.
    public var short: String { String(hex.prefix(8)) }
    public var description: String { hex }
}
