import CSodium

/// A SHA-256 digest: exactly 32 bytes, so a wrong-length hash cannot exist.
public struct SHA256Digest: FixedSizeBytes {
    public static let byteCount = 32
    /// The 32 digest bytes.
    public let bytes: [UInt8]
    public init(uncheckedBytes: [UInt8]) { bytes = uncheckedBytes }
}

/// SHA-256 through libsodium (`crypto_hash_sha256`).
public enum SHA256 {
    /// Hashes `data` in one call.
    public static func hash(_ data: [UInt8]) -> SHA256Digest {
        _ = Sodium.ready
        var out = [UInt8](repeating: 0, count: SHA256Digest.byteCount)
        data.withUnsafeBufferPointer { input in
            out.withUnsafeMutableBufferPointer { digest in
                _ = crypto_hash_sha256(digest.baseAddress!, input.baseAddress, UInt64(input.count))
            }
        }
        return SHA256Digest(bytes: out)!
    }
}

/// Compares secrets and MACs in time independent of where they differ
/// (`sodium_memcmp`), so a timing side channel cannot reveal a prefix.
public func constantTimeEqual(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    _ = Sodium.ready
    guard lhs.count == rhs.count else { return false }
    if lhs.isEmpty { return true }
    return lhs.withUnsafeBytes { a in
        rhs.withUnsafeBytes { b in sodium_memcmp(a.baseAddress!, b.baseAddress!, lhs.count) == 0 }
    }
}
