import ConsensusCore

/// Everything one simulation run depends on. Given the same configuration
/// (seed included) a run is identical, step for step.
public struct SimulationConfig: Sendable {
    public var seed: UInt64
    public var validators: Int
    public var byzantine: Int
    /// Misbehaviours of the Byzantine validators, in order; drawn from the seed when nil.
    public var behaviors: [Behavior]?
    /// Which validators are Byzantine (the first `byzantine` of them); drawn
    /// from the seed when nil. Scenarios name the view-0 leader this way.
    public var byzantineIDs: [ValidatorID]?
    /// Simulated milliseconds per step.
    public var stepMs: Int64 = 10
    /// Steps of the safety phase (faults on).
    public var safetySteps = 3_000
    /// Most steps the liveness phase (faults healed) may take to commit everything.
    public var livenessSteps = 20_000
    /// Lower the quorum one below the safe minimum (proves the checker can fail).
    public var unsafeQuorum = false
    /// Network faults, partitions and crashes during the safety phase.
    public var faults = true
    /// Client transactions per simulated second during the safety phase.
    public var transactionsPerSecond = 40.0
    /// Per-validator clock offsets (ms), index = id - 1; missing entries are 0.
    public var clockSkewsMs: [Int64] = []
    /// Validators (by id) that start late, and when (simulated ms after the start).
    public var delayedStartsMs: [ValidatorID: Int64] = [:]
    /// A `divergent-executor` misreads some events signed before this
    /// (simulated ms after the start), and none after.
    public var divergentExecutionMs: Int64 = 8_000
    /// The events clients submit (default: the seed's mixed workload).
    public var workload: SimulatedWorkload?
    public var genesis: GenesisConfig
    public var pbft: PBFTConfig

    public init(seed: UInt64, validators: Int = 4, byzantine: Int = 0) {
        self.seed = seed
        self.validators = validators
        self.byzantine = byzantine
        var genesis = GenesisConfig()
        genesis.aggregatorTimeoutMs = 4_000
        self.genesis = genesis
        var pbft = PBFTConfig()
        pbft.requestTimeoutMs = 2_000
        pbft.leaderTimeoutMs = 1_500
        pbft.heartbeatIntervalMs = 300
        pbft.viewChangeTimeoutBaseMs = 1_000
        pbft.viewChangeTimeoutCapMs = 16_000
        pbft.maximumBlockTransactions = 64
        // Small intervals so that seeds of a few thousand steps cross many
        // checkpoints, garbage collections and snapshot hand-overs.
        pbft.checkpointInterval = 10
        pbft.retainedBlocks = 10
        pbft.snapshotChunkEntries = 64
        pbft.distrustMs = 5_000
        self.pbft = pbft
    }

    /// The configuration `--seeds` uses for one seed when no validator count
    /// is given: N from 4 to 10 and up to f Byzantine, drawn from the seed.
    public static func random(seed: UInt64, validators: Int?, byzantine: Int?) -> SimulationConfig {
        var random = SeededGenerator(seed: seed ^ 0x5EED)
        let n = validators ?? Int.random(in: 4...10, using: &random)
        let f = (n - 1) / 3
        let b = byzantine.map { min($0, f) } ?? Int.random(in: 0...f, using: &random)
        return SimulationConfig(seed: seed, validators: n, byzantine: b)
    }
}

/// What a run found.
public struct SimulationResult: Sendable {
    public var config: SimulationConfig
    public var safetyViolation: String?
    public var livenessFailure: String?
    public var committedHeight = 0
    public var committedTransactions = 0
    public var submittedTransactions = 0
    public var viewChanges = 0
    public var messagesDelivered = 0
    public var simulatedMs: Int64 = 0
    public var genesisCompletedMs: Int64?
    public var behaviors: [ValidatorID: Behavior] = [:]
    /// Honest replicas' state roots checked against the first one at the same height.
    public var stateRootsCompared = 0
    /// Committed transactions the state machine rejected (policy version, reused id...).
    public var stateRejections = 0
    /// Stable checkpoints reached (the most any honest replica reached).
    public var stableCheckpoints = 0
    /// Snapshots honest replicas installed to catch up.
    public var snapshotsInstalled = 0
    /// Forged blocks or snapshots honest replicas detected and refused.
    public var forgeriesDetected = 0
    /// Free-form figures a scenario records (e.g. rebroadcast counts).
    public var notes: [String: Int] = [:]

    /// Storage faults injected (torn writes, failed syncs, corrupt logs).
    public var storageFaults: Int { StorageFault.allCases.reduce(0) { $0 + (notes[$1.rawValue] ?? 0) } }

    public var passed: Bool { safetyViolation == nil && livenessFailure == nil }
}
