/// Hashing and signature checks, injected into the core so that it stays
/// free of C libraries: the daemon passes libsodium (SHA-256, Ed25519); the
/// simulator may pass the same or a cheap stand-in with the same contract.
public protocol ConsensusCrypto: Sendable {
    /// A collision-resistant 32-byte hash (SHA-256 in production).
    func hash(_ bytes: [UInt8]) -> Hash32
    /// Whether `signature` is `publicKey`'s signature over `message`.
    func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool
}

/// Signs with one validator's private key. The core holds only this
/// capability, never the key.
public protocol MessageSigner: Sendable {
    func sign(_ message: [UInt8]) -> [UInt8]
}
