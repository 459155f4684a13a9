/// Quorum arithmetic for a fixed validator set of N replicas.
///
/// f = floor((N-1)/3) replicas may be Byzantine. The quorum is
/// ceil((N+f+1)/2): any two quorums then intersect in at least f+1 replicas,
/// so in at least one honest one. For N = 3f+1 that is 2f+1; for N = 5 it is
/// 4, not 3: two quorums of 3 out of 5 may share a single replica, which may
/// be the Byzantine one (the seed's test expecting 3 of 5 is the deliberate
/// deviation, ARCHITECTURE §5).
public struct Quorum: Equatable, Sendable, CustomStringConvertible {
    public let validatorCount: Int
    public let size: Int

    /// The largest number of Byzantine replicas tolerated.
    public var faultTolerance: Int { (validatorCount - 1) / 3 }

    /// The safe minimum quorum for `validatorCount` replicas.
    public static func safeMinimum(validatorCount: Int) -> Int {
        let f = (validatorCount - 1) / 3
        return (validatorCount + f + 1 + 1) / 2
    }

    /// The quorum for `validatorCount`, or an explicit override, which must be
    /// at least the safe minimum and at most the validator count.
    public init(validatorCount: Int, override: Int? = nil) throws(QuorumError) {
        guard validatorCount >= 1 else { throw .noValidators }
        let minimum = Self.safeMinimum(validatorCount: validatorCount)
        if let override {
            guard override >= minimum else { throw .belowSafeMinimum(requested: override, safeMinimum: minimum, validatorCount: validatorCount) }
            guard override <= validatorCount else { throw .aboveValidatorCount(requested: override, validatorCount: validatorCount) }
            size = override
        } else {
            size = minimum
        }
        self.validatorCount = validatorCount
    }

    /// A quorum below the safe minimum. Only the simulator's `--unsafe-quorum`
    /// uses it, to prove that the safety checker can catch a violation.
    public static func unsafe(validatorCount: Int, size: Int) -> Quorum {
        Quorum(uncheckedValidatorCount: validatorCount, size: size)
    }

    private init(uncheckedValidatorCount: Int, size: Int) {
        self.validatorCount = uncheckedValidatorCount
        self.size = size
    }

    public var description: String { "\(size) of \(validatorCount) (f=\(faultTolerance))" }
}

/// Why a quorum setting was refused.
public enum QuorumError: Error, Equatable, CustomStringConvertible {
    case noValidators
    case belowSafeMinimum(requested: Int, safeMinimum: Int, validatorCount: Int)
    case aboveValidatorCount(requested: Int, validatorCount: Int)

    public var description: String {
        switch self {
        case .noValidators:
            return "the validator set is empty; at least 1 validator is required"
        case let .belowSafeMinimum(requested, minimum, count):
            return "quorum override \(requested) is unsafe for \(count) validators: the safe minimum is \(minimum) (ceil((N+f+1)/2))"
        case let .aboveValidatorCount(requested, count):
            return "quorum override \(requested) exceeds the \(count) validators; no quorum could ever form"
        }
    }
}
