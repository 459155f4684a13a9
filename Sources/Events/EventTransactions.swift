import ConsensusCore
import Wire

/// Signed events as consensus transactions: the daemon's
/// `TransactionValidator`. A transaction's payload is the encoded
/// `SignedEvent` exactly as the ingestor read it from Kafka; its id is
/// SHA-256 of the event's sign bytes (CONTRACT §1), so two encodings of the
/// same signed event are one transaction.
public struct EventTransactions: TransactionValidator {
    private let source: Source

    private enum Source: Sendable {
        case fixed(EventValidator)
        /// The store as last (re)loaded from its file: a SIGHUP reload takes
        /// effect at the next check.
        case file(TrustStoreFile)
    }

    public init(trustStore: TrustStore) {
        source = .fixed(EventValidator(trustStore: trustStore))
    }

    public init(trustStoreFile: TrustStoreFile) {
        source = .file(trustStoreFile)
    }

    /// The validator with the trust store in force now.
    public var validator: EventValidator {
        switch source {
        case let .fixed(validator): return validator
        case let .file(file): return EventValidator(trustStore: file.store)
        }
    }

    /// A submitted record as a transaction, or why it cannot be one (it does
    /// not decode, or its sign bytes cannot be formed). Does not verify.
    public static func transaction(from record: [UInt8]) -> Result<(Transaction, SignedEvent), EventRejection> {
        let event: SignedEvent
        do {
            event = try SignedEvent.decode(record)
        } catch {
            return .failure(EventRejection(.malformed, error.description))
        }
        guard let signBytes = try? event.signBytes(), let id = Hash32(bytes: SignBytes.transactionID(of: signBytes).bytes) else {
            return .failure(EventRejection(.malformed, "sign bytes cannot be formed (field sizes)"))
        }
        return .success((Transaction(id: id, payload: record), event))
    }

    /// The full check of a submitted event at wall-clock `nowMs` (the
    /// contract's timestamp window included): nil when valid.
    public func admissionProblem(_ event: SignedEvent, nowMs: Int64) -> EventRejection? {
        if case let .failure(rejection) = validator.validate(event: event, topicDomain: nil, nowMs: nowMs) { return rejection }
        return nil
    }

    public func event(of transaction: Transaction) -> LedgerEvent? {
        guard let event = try? SignedEvent.decode(transaction.payload), let domain = EventDomain(rawValue: event.domain) else { return nil }
        return LedgerEvent(domain: domain, producerID: event.producerID, nonce: event.nonce, timestampMs: event.timestampMs, payload: event.payload)
    }

    /// The record decodes and SHA-256 of its sign bytes is the id: one hash,
    /// no signature check.
    public func identifies(_ transaction: Transaction) -> Bool {
        guard case let .success((derived, _)) = Self.transaction(from: transaction.payload) else { return false }
        return derived.id == transaction.id
    }

    /// Signature, producer, content hash and payload, and that the id is the
    /// event's: everything but timestamps, which the state machine judges by
    /// block time.
    public func validationProblem(_ transaction: Transaction) -> String? {
        guard let event = try? SignedEvent.decode(transaction.payload) else { return "malformed: not a SignedEvent" }
        switch validator.validate(event: event, topicDomain: nil, nowMs: nil) {
        case let .failure(rejection):
            return rejection.description
        case let .success(verified):
            guard verified.transactionID.bytes == transaction.id.bytes else { return "malformed: the id is not SHA-256 of the event's sign bytes" }
            return nil
        }
    }
}
