import ConsensusCore
import Wire

/// An event that passed every context-free and context check of CONTRACT §1
/// except the nonce-replay rule, which needs committed state (the state
/// machine enforces it). Only `EventValidator` creates one.
public struct VerifiedEvent: Sendable, Equatable {
    public let event: SignedEvent
    public let domain: EventDomain
    public let signBytes: [UInt8]
    public let transactionID: SHA256Digest
    public let payload: ValidatedPayload
}

/// Validates Kafka record values against the contract (CONTRACT §1).
///
/// Checks run cheapest first, so that garbage never costs a signature
/// verification: size, decoding, field shapes, domain against topic, producer
/// and its allowed domains, timestamp window, content hash, signature, then
/// the payload schema. The first failing check decides the reason.
public struct EventValidator: Sendable {
    /// Limits and clock tolerance.
    public struct Configuration: Sendable, Equatable {
        /// Largest accepted record value. Default: the 65,536-byte payload
        /// limit plus 1 KiB for the other fields and protobuf framing.
        public var maximumRecordBytes: Int = PayloadSchema.maximumPayloadBytes + 1024
        /// How far `timestamp_ms` may be from the validator's clock, either
        /// way. Default 5 minutes (CONTRACT §1).
        public var clockSkewToleranceMs: Int64 = 5 * 60 * 1000

        public init() {}
    }

    public var trustStore: TrustStore
    public var configuration: Configuration

    public init(trustStore: TrustStore, configuration: Configuration = Configuration()) {
        self.trustStore = trustStore
        self.configuration = configuration
    }

    /// Validates one record value read from the topic of `topicDomain`, at
    /// wall-clock time `nowMs`.
    public func validate(record: [UInt8], topicDomain: EventDomain, nowMs: Int64) -> Result<VerifiedEvent, EventRejection> {
        guard record.count <= configuration.maximumRecordBytes else {
            return .failure(EventRejection(.oversize, "record is \(record.count) bytes; the limit is \(configuration.maximumRecordBytes)"))
        }
        let event: SignedEvent
        do {
            event = try SignedEvent.decode(record)
        } catch {
            return .failure(EventRejection(.malformed, error.description))
        }
        return validate(event: event, topicDomain: topicDomain, nowMs: nowMs)
    }

    /// Validates an already decoded event (as a validator does for events
    /// submitted by an untrusted ingestor). `topicDomain` nil skips the
    /// topic check, which only the Kafka side can make; `nowMs` nil skips the
    /// wall-clock window, which a validator checking a proposed block must
    /// not apply (the state machine judges timestamps by block time).
    public func validate(event: SignedEvent, topicDomain: EventDomain?, nowMs: Int64?) -> Result<VerifiedEvent, EventRejection> {
        guard event.payload.count <= PayloadSchema.maximumPayloadBytes else {
            return .failure(EventRejection(.oversize, "payload is \(event.payload.count) bytes; the limit is \(PayloadSchema.maximumPayloadBytes)"))
        }
        if let problem = Self.shapeProblem(event) {
            return .failure(EventRejection(.malformed, problem))
        }
        guard let domain = EventDomain(rawValue: event.domain) else {
            return .failure(EventRejection(.domainMismatch, "domain \"\(event.domain)\" is not one of \(EventDomain.allCases.map(\.rawValue).joined(separator: ", "))"))
        }
        if let topicDomain, topicDomain != domain {
            return .failure(EventRejection(.domainMismatch, "domain \(domain.rawValue) arrived on the topic of \(topicDomain.rawValue)"))
        }
        guard let producer = trustStore.producers[event.producerID] else {
            return .failure(EventRejection(.unknownProducer, "producer \(event.producerID) is not in the trust store"))
        }
        guard producer.domains.contains(domain) else {
            return .failure(EventRejection(.domainNotAllowed, "producer \(event.producerID) may not publish \(domain.rawValue)"))
        }
        let skew = configuration.clockSkewToleranceMs
        if let nowMs, event.timestampMs < nowMs &- skew {
            return .failure(EventRejection(.staleTimestamp, "timestamp \(event.timestampMs) is \(nowMs &- event.timestampMs) ms old; tolerance \(skew) ms"))
        }
        if let nowMs, event.timestampMs > nowMs &+ skew {
            return .failure(EventRejection(.futureTimestamp, "timestamp \(event.timestampMs) is \(event.timestampMs &- nowMs) ms ahead; tolerance \(skew) ms"))
        }
        let payloadHash = SHA256.hash(event.payload)
        guard constantTimeEqual(payloadHash.bytes, event.contentHash) else {
            return .failure(EventRejection(.badContentHash, "content_hash \(Hex.encode(event.contentHash)) but SHA-256(payload) is \(payloadHash.hex)"))
        }
        // Shapes were checked above, so sign bytes and the signature exist.
        guard let signBytes = try? event.signBytes(), let signature = Ed25519.Signature(bytes: event.signature) else {
            return .failure(EventRejection(.malformed, "sign bytes cannot be formed"))
        }
        guard Ed25519.verify(signature: signature, message: signBytes, publicKey: producer.publicKey) else {
            return .failure(EventRejection(.badSignature, "signature does not verify with producer \(event.producerID)'s key"))
        }
        let payload: ValidatedPayload
        do {
            payload = try PayloadSchema.validate(event.payload, domain: domain)
        } catch {
            return .failure(EventRejection(.badPayload, error.description))
        }
        return .success(VerifiedEvent(
            event: event, domain: domain, signBytes: signBytes,
            transactionID: SignBytes.transactionID(of: signBytes), payload: payload))
    }

    /// The first fixed-size or charset rule the event breaks, if any.
    static func shapeProblem(_ event: SignedEvent) -> String? {
        if !ProducerID.isValid(event.producerID) {
            return "producer_id must be 1-64 characters of [A-Za-z0-9._-]"
        }
        if event.domain.utf8.count > 255 { return "domain is longer than 255 bytes" }
        if event.nonce.count != SignBytes.nonceByteCount {
            return "nonce must be \(SignBytes.nonceByteCount) bytes, got \(event.nonce.count)"
        }
        if event.contentHash.count != SHA256Digest.byteCount {
            return "content_hash must be 32 bytes, got \(event.contentHash.count)"
        }
        if event.signature.count != Ed25519.signatureByteCount {
            return "signature must be 64 bytes, got \(event.signature.count)"
        }
        return nil
    }
}
