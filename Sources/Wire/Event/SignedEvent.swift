import CyberMeshProto

/// `cybermesh.v1.SignedEvent` as it arrives from Kafka (CONTRACT §1): the raw
/// fields, not yet validated. Validation (`EventValidator`, in the Events
/// target) turns it into a `VerifiedEvent` or a contract reason code;
/// nothing downstream sees an unvalidated event. The record and its
/// protobuf codec live here because Wire is the one target that touches
/// protobuf-c; signing, sign bytes and validation live in Events.
public struct SignedEvent: Hashable, Sendable {
    public var domain: String
    public var timestampMs: Int64
    public var producerID: String
    public var nonce: [UInt8]
    public var contentHash: [UInt8]
    public var payload: [UInt8]
    public var signature: [UInt8]

    public init(
        domain: String, timestampMs: Int64, producerID: String, nonce: [UInt8],
        contentHash: [UInt8], payload: [UInt8], signature: [UInt8]
    ) {
        self.domain = domain
        self.timestampMs = timestampMs
        self.producerID = producerID
        self.nonce = nonce
        self.contentHash = contentHash
        self.payload = payload
        self.signature = signature
    }

    /// Serializes to the protobuf record value.
    public func encoded() -> [UInt8] {
        let arena = ProtobufArena()
        let message = arena.message(Cybermesh__V1__SignedEvent.self)
        cybermesh__v1__signed_event__init(message)
        message.pointee.domain = arena.cString(domain)
        message.pointee.timestamp_ms = timestampMs
        message.pointee.producer_id = arena.cString(producerID)
        message.pointee.nonce = arena.binary(nonce)
        message.pointee.content_hash = arena.binary(contentHash)
        message.pointee.payload = arena.binary(payload)
        message.pointee.signature = arena.binary(signature)
        let size = cybermesh__v1__signed_event__get_packed_size(message)
        return packProtobuf(size: size) { cybermesh__v1__signed_event__pack(message, $0) }
    }

    /// Parses a record value. Garbage, truncated input and strings that are
    /// not UTF-8 are `EventDecodingError`s (reason `malformed`).
    public static func decode(_ bytes: [UInt8]) throws(EventDecodingError) -> SignedEvent {
        let unpacked = bytes.withUnsafeBufferPointer { buffer in
            cybermesh__v1__signed_event__unpack(nil, buffer.count, buffer.baseAddress)
        }
        guard let unpacked else { throw .notProtobuf }
        defer { cybermesh__v1__signed_event__free_unpacked(unpacked, nil) }
        let message = unpacked.pointee
        guard let domain = ProtobufFields.string(message.domain) else { throw .invalidUTF8(field: "domain") }
        guard let producer = ProtobufFields.string(message.producer_id) else { throw .invalidUTF8(field: "producer_id") }
        return SignedEvent(
            domain: domain, timestampMs: message.timestamp_ms, producerID: producer,
            nonce: ProtobufFields.bytes(message.nonce),
            contentHash: ProtobufFields.bytes(message.content_hash),
            payload: ProtobufFields.bytes(message.payload),
            signature: ProtobufFields.bytes(message.signature))
    }
}

/// Why record bytes are not a `SignedEvent`.
public enum EventDecodingError: Error, Equatable, CustomStringConvertible {
    case notProtobuf
    case invalidUTF8(field: String)

    public var description: String {
        switch self {
        case .notProtobuf: return "record value is not a cybermesh.v1.SignedEvent protobuf message"
        case let .invalidUTF8(field): return "field \(field) is not valid UTF-8"
        }
    }
}
