/// What the state machine did with one committed transaction. Rejections are
/// part of consensus: every honest replica records the same reason for the
/// same transaction at the same height, and the persister stores it.
public enum TransactionOutcome: Hashable, Sendable {
    case applied
    case rejected(StateRejection)

    public var isApplied: Bool { self == .applied }
}

/// Why a committed transaction changed nothing. The raw values are stable
/// snake_case codes (logs, the database, the API).
public enum StateRejection: Hashable, Sendable, CustomStringConvertible {
    /// The bytes do not carry an event at all.
    case undecodable
    /// The event's timestamp is older than block time minus the nonce TTL.
    case expired
    /// The event's timestamp is later than block time plus the nonce TTL.
    case futureTimestamp
    /// This (producer, nonce) was committed within the nonce TTL.
    case duplicateNonce
    /// The payload breaks CONTRACT §1 (the detail names the field).
    case badPayload(String)
    /// A policy must raise the version in force.
    case policyVersionNotNewer(current: Int64)
    /// An anomaly with this id is already in the state.
    case anomalyExists
    /// Evidence with this id for this anomaly is already in the state.
    case evidenceExists

    public var code: String {
        switch self {
        case .undecodable: return "undecodable"
        case .expired: return "expired"
        case .futureTimestamp: return "future_timestamp"
        case .duplicateNonce: return "duplicate_nonce"
        case .badPayload: return "bad_payload"
        case .policyVersionNotNewer: return "policy_version_not_newer"
        case .anomalyExists: return "anomaly_exists"
        case .evidenceExists: return "evidence_exists"
        }
    }

    public var description: String {
        switch self {
        case let .badPayload(detail): return "bad_payload: \(detail)"
        case let .policyVersionNotNewer(current): return "policy_version_not_newer: version \(current) is in force"
        default: return code
        }
    }
}

/// The state machine's result for one block: an outcome per transaction (in
/// block order) and the state root after it.
public struct BlockExecution: Hashable, Sendable {
    public let height: UInt64
    public let stateRoot: Hash32
    public let outcomes: [TransactionOutcome]

    public init(height: UInt64, stateRoot: Hash32, outcomes: [TransactionOutcome]) {
        self.height = height
        self.stateRoot = stateRoot
        self.outcomes = outcomes
    }
}
