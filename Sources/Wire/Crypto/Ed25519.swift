import CSodium

/// Ed25519 (libsodium), the signature scheme of events (CONTRACT §1) and of
/// every consensus message.
public enum Ed25519 {
    public static let publicKeyByteCount = 32
    public static let seedByteCount = 32
    public static let signatureByteCount = 64

    /// Verifies `signature` over `message`; false for any malformed input.
    public static func verify(signature: Signature, message: [UInt8], publicKey: PublicKey) -> Bool {
        _ = Sodium.ready
        return signature.bytes.withUnsafeBufferPointer { sig in
            message.withUnsafeBufferPointer { msg in
                publicKey.bytes.withUnsafeBufferPointer { key in
                    crypto_sign_verify_detached(sig.baseAddress!, msg.baseAddress, UInt64(msg.count), key.baseAddress!) == 0
                }
            }
        }
    }

    /// A public key: exactly 32 bytes.
    public struct PublicKey: FixedSizeBytes {
        public static let byteCount = Ed25519.publicKeyByteCount
        public let bytes: [UInt8]
        public init(uncheckedBytes: [UInt8]) { bytes = uncheckedBytes }
    }

    /// A detached signature: exactly 64 bytes.
    public struct Signature: FixedSizeBytes {
        public static let byteCount = Ed25519.signatureByteCount
        public let bytes: [UInt8]
        public init(uncheckedBytes: [UInt8]) { bytes = uncheckedBytes }
    }

    /// A signing key. It owns its secret in memory that it zeroes when freed,
    /// and never prints it; export the seed deliberately with `exportSeed()`.
    /// A final class (not a struct) so that the secret has one owner and is
    /// not copied around by value semantics.
    public final class SigningKey: Sendable {
        /// libsodium's 64-byte secret key (seed followed by public key).
        private let secret: SecretBytes
        public let publicKey: PublicKey

        /// Derives the key pair from a 32-byte seed (deterministic).
        public init(seed: [UInt8]) throws(CryptoError) {
            _ = Sodium.ready
            guard seed.count == Ed25519.seedByteCount else {
                throw CryptoError.badLength(what: "Ed25519 seed", expected: Ed25519.seedByteCount, actual: seed.count)
            }
            let secret = SecretBytes(count: 64)
            var publicBytes = [UInt8](repeating: 0, count: Ed25519.publicKeyByteCount)
            let result = secret.withUnsafeMutableBytes { sk in
                seed.withUnsafeBufferPointer { s in
                    publicBytes.withUnsafeMutableBufferPointer { pk in
                        crypto_sign_seed_keypair(pk.baseAddress!, sk.baseAddress!, s.baseAddress!)
                    }
                }
            }
            guard result == 0 else { throw CryptoError.libsodium(operation: "crypto_sign_seed_keypair") }
            self.secret = secret
            self.publicKey = PublicKey(bytes: publicBytes)!
        }

        /// A new key pair from libsodium's CSPRNG.
        public static func generate() -> SigningKey {
            _ = Sodium.ready
            var seed = [UInt8](repeating: 0, count: Ed25519.seedByteCount)
            seed.withUnsafeMutableBufferPointer { randombytes_buf($0.baseAddress!, $0.count) }
            defer { seed.withUnsafeMutableBufferPointer { sodium_memzero($0.baseAddress!, $0.count) } }
            // A 32-byte seed is always accepted.
            return try! SigningKey(seed: seed)
        }

        /// Signs `message`, returning the 64-byte detached signature.
        public func sign(_ message: [UInt8]) -> Signature {
            var signature = [UInt8](repeating: 0, count: Ed25519.signatureByteCount)
            secret.withUnsafeBytes { sk in
                message.withUnsafeBufferPointer { msg in
                    signature.withUnsafeMutableBufferPointer { sig in
                        _ = crypto_sign_detached(sig.baseAddress!, nil, msg.baseAddress, UInt64(msg.count), sk.baseAddress!)
                    }
                }
            }
            return Signature(bytes: signature)!
        }

        /// The 32-byte seed, for writing a key file. The caller owns the copy.
        public func exportSeed() -> [UInt8] {
            secret.withUnsafeBytes { Array($0.prefix(Ed25519.seedByteCount)) }
        }
    }
}

/// Secret bytes in memory that is zeroed (`sodium_memzero`) when released.
/// `@unchecked Sendable`: the bytes are written once, in `init` callers, before
/// the value is shared, and only read afterwards.
final class SecretBytes: @unchecked Sendable {
    private let pointer: UnsafeMutableRawBufferPointer

    init(count: Int) {
        pointer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
        pointer.initializeMemory(as: UInt8.self, repeating: 0)
    }

    deinit {
        sodium_memzero(pointer.baseAddress!, pointer.count)
        pointer.deallocate()
    }

    func withUnsafeBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(pointer.bindMemory(to: UInt8.self)))
    }

    func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try body(pointer.bindMemory(to: UInt8.self))
    }
}

/// What went wrong in a cryptographic call.
public enum CryptoError: Error, Equatable, CustomStringConvertible {
    /// An input had the wrong size.
    case badLength(what: String, expected: Int, actual: Int)
    /// libsodium reported a failure; this indicates a broken installation.
    case libsodium(operation: String)

    public var description: String {
        switch self {
        case let .badLength(what, expected, actual):
            return "\(what) must be \(expected) bytes, got \(actual)"
        case let .libsodium(operation):
            return "libsodium \(operation) failed; check the libsodium installation"
        }
    }
}
