/// The dead-letter reasons of CONTRACT §2, exactly as they appear in the
/// `x-cybermesh-reason` header.
public enum RejectionReason: String, CaseIterable, Sendable, Hashable {
    case malformed
    case oversize
    case unknownProducer = "unknown_producer"
    case domainNotAllowed = "domain_not_allowed"
    case domainMismatch = "domain_mismatch"
    case badSignature = "bad_signature"
    case badContentHash = "bad_content_hash"
    case staleTimestamp = "stale_timestamp"
    case futureTimestamp = "future_timestamp"
    case badPayload = "bad_payload"
}

/// A refused event: the contract reason and a human detail for
/// `x-cybermesh-detail`.
public struct EventRejection: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: RejectionReason
    public let detail: String

    public init(_ reason: RejectionReason, _ detail: String) {
        self.reason = reason
        self.detail = detail
    }

    public var description: String { "\(reason.rawValue): \(detail)" }
}
