/// The fields of a signed event that the state machine and the mempool
/// need, read from a transaction by the injected `TransactionValidator`
/// (the daemon reads a protobuf `SignedEvent`, the simulator its own
/// encoding). Reading it does not verify the signature: that is done once,
/// on admission or before voting.
public struct LedgerEvent: Hashable, Sendable {
    public let domain: EventDomain
    public let producerID: String
    /// 16 bytes (CONTRACT §1).
    public let nonce: [UInt8]
    /// The producer's clock; compared only with block time.
    public let timestampMs: Int64
    /// The JSON payload exactly as signed.
    public let payload: [UInt8]

    public init(domain: EventDomain, producerID: String, nonce: [UInt8], timestampMs: Int64, payload: [UInt8]) {
        self.domain = domain
        self.producerID = producerID
        self.nonce = nonce
        self.timestampMs = timestampMs
        self.payload = payload
    }

    /// The replay-protection key.
    public var nonceKey: NonceKey { NonceKey(producerID: producerID, nonce: nonce) }
}

/// (producer, nonce): an event a producer may publish only once.
public struct NonceKey: Hashable, Comparable, Sendable {
    public let producerID: String
    public let nonce: [UInt8]

    public init(producerID: String, nonce: [UInt8]) {
        self.producerID = producerID
        self.nonce = nonce
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(producerID)
        nonce.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    public static func < (lhs: NonceKey, rhs: NonceKey) -> Bool {
        if lhs.producerID != rhs.producerID { return lhs.producerID.utf8.lexicographicallyPrecedes(rhs.producerID.utf8) }
        return lhs.nonce.lexicographicallyPrecedes(rhs.nonce)
    }
}
