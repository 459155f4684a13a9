/// A validator's identity: a small positive integer, as in the validator set
/// file and cluster.json.
public struct ValidatorID: Hashable, Comparable, Sendable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    public let value: UInt32
    public init(_ value: UInt32) { self.value = value }
    public init(integerLiteral value: UInt32) { self.value = value }
    public static func < (lhs: ValidatorID, rhs: ValidatorID) -> Bool { lhs.value < rhs.value }
    public var description: String { "\(value)" }
}

/// One member of the fixed validator set.
public struct ValidatorInfo: Hashable, Sendable {
    public let id: ValidatorID
    public let name: String
    /// Ed25519 public key, 32 bytes.
    public let publicKey: [UInt8]

    public init(id: ValidatorID, name: String, publicKey: [UInt8]) {
        self.id = id
        self.name = name
        self.publicKey = publicKey
    }
}

/// The fixed validator set: members in id order, the quorum, leader rotation
/// and the set's hash (which every genesis attestation commits to).
public struct ValidatorSet: Sendable, Equatable {
    public let validators: [ValidatorInfo]
    public let quorum: Quorum
    public let hash: Hash32
    private let indexByID: [ValidatorID: Int]

    /// Validates and orders the members. `quorumOverride` must be at least
    /// the safe minimum (see `Quorum`).
    public init(validators: [ValidatorInfo], quorumOverride: Int? = nil, crypto: any ConsensusCrypto) throws(ValidatorSetError) {
        guard !validators.isEmpty else { throw .empty }
        let sorted = validators.sorted { $0.id < $1.id }
        var index: [ValidatorID: Int] = [:]
        var keys = Set<[UInt8]>()
        for (position, validator) in sorted.enumerated() {
            guard validator.id.value > 0 else { throw .invalidID(validator.id) }
            guard index[validator.id] == nil else { throw .duplicateID(validator.id) }
            guard validator.publicKey.count == 32 else { throw .invalidPublicKey(validator.id) }
            guard keys.insert(validator.publicKey).inserted else { throw .duplicatePublicKey(validator.id) }
            index[validator.id] = position
        }
        do {
            quorum = try Quorum(validatorCount: sorted.count, override: quorumOverride)
        } catch {
            throw .quorum(error)
        }
        self.validators = sorted
        self.indexByID = index
        var encoder = CanonicalEncoder(domain: "cybermesh.validator-set.v1")
        encoder.append(UInt32(sorted.count))
        for validator in sorted {
            encoder.append(validator.id.value)
            encoder.append(validator.name)
            encoder.appendFixed(validator.publicKey)
        }
        hash = crypto.hash(encoder.bytes)
    }

    /// A copy with another quorum size: the simulator's `--unsafe-quorum`.
    public func withUnsafeQuorum(size: Int) -> ValidatorSet {
        var copy = self
        copy.overrideQuorum(Quorum.unsafe(validatorCount: validators.count, size: size))
        return copy
    }

    private mutating func overrideQuorum(_ quorum: Quorum) {
        self = ValidatorSet(validators: validators, quorum: quorum, hash: hash, indexByID: indexByID)
    }

    private init(validators: [ValidatorInfo], quorum: Quorum, hash: Hash32, indexByID: [ValidatorID: Int]) {
        self.validators = validators
        self.quorum = quorum
        self.hash = hash
        self.indexByID = indexByID
    }

    public var count: Int { validators.count }
    public var ids: [ValidatorID] { validators.map(\.id) }

    public func contains(_ id: ValidatorID) -> Bool { indexByID[id] != nil }

    public func info(_ id: ValidatorID) -> ValidatorInfo? { indexByID[id].map { validators[$0] } }

    /// The leader of `view` (and the genesis aggregator of round `view`):
    /// round-robin in id order.
    public func leader(ofView view: UInt64) -> ValidatorID {
        validators[Int(view % UInt64(validators.count))].id
    }

    public static func == (lhs: ValidatorSet, rhs: ValidatorSet) -> Bool {
        lhs.validators == rhs.validators && lhs.quorum == rhs.quorum && lhs.hash == rhs.hash
    }
}

/// Why a validator set cannot be used.
public enum ValidatorSetError: Error, Equatable, Sendable, CustomStringConvertible {
    case empty
    case invalidID(ValidatorID)
    case duplicateID(ValidatorID)
    case invalidPublicKey(ValidatorID)
    case duplicatePublicKey(ValidatorID)
    case quorum(QuorumError)

    public var description: String {
        switch self {
        case .empty: return "the validator set is empty"
        case let .invalidID(id): return "validator id \(id) is invalid; ids start at 1"
        case let .duplicateID(id): return "validator id \(id) appears twice"
        case let .invalidPublicKey(id): return "validator \(id): public key must be 32 bytes (64 hex characters)"
        case let .duplicatePublicKey(id): return "validator \(id) reuses another validator's public key"
        case let .quorum(error): return error.description
        }
    }
}
