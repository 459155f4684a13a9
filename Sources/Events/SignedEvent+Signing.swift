import ConsensusCore
import Wire

/// A producer's side of `SignedEvent` (CONTRACT §1): the sign bytes and
/// signing, kept with the validation that checks them.
extension SignedEvent {
    /// Builds and signs an event as a producer does: hashes the payload,
    /// computes the sign bytes and signs them.
    public static func make(
        domain: EventDomain, timestampMs: Int64, producerID: String, nonce: [UInt8],
        payload: [UInt8], signingKey: Ed25519.SigningKey
    ) -> SignedEvent {
        var event = SignedEvent(
            domain: domain.rawValue, timestampMs: timestampMs, producerID: producerID, nonce: nonce,
            contentHash: SHA256.hash(payload).bytes, payload: payload, signature: [])
        if let signBytes = try? event.signBytes() {
            event.signature = signingKey.sign(signBytes).bytes
        }
        return event
    }

    /// The bytes the producer signs (CONTRACT §1). Throws when a field cannot
    /// be length-prefixed with one byte or has the wrong fixed size.
    public func signBytes() throws(SignBytesError) -> [UInt8] {
        try SignBytes.compute(
            domain: domain, timestampMs: timestampMs, producerID: producerID,
            nonce: nonce, contentHash: contentHash)
    }
}
