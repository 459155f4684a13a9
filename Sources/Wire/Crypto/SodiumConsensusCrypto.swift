import ConsensusCore

/// libsodium behind the consensus core's injected crypto: SHA-256 and
/// Ed25519 verification for everyone, signing with this validator's key.
public struct SodiumConsensusCrypto: ConsensusCrypto {
    public init() {}

    public func hash(_ bytes: [UInt8]) -> Hash32 {
        Hash32(bytes: SHA256.hash(bytes).bytes)!
    }

    public func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        guard let signature = Ed25519.Signature(bytes: signature), let key = Ed25519.PublicKey(bytes: publicKey) else { return false }
        return Ed25519.verify(signature: signature, message: message, publicKey: key)
    }
}

/// A validator's signing key as the core's `MessageSigner`.
public struct SodiumMessageSigner: MessageSigner {
    public let key: Ed25519.SigningKey

    public init(key: Ed25519.SigningKey) { self.key = key }

    public func sign(_ message: [UInt8]) -> [UInt8] { key.sign(message).bytes }
}
