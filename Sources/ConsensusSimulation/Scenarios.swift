import ConsensusCore

/// The outcome of a named scenario.
public struct ScenarioOutcome: Sendable {
    public var passed: Bool
    public var summary: String
}

/// The named scenarios of `consensusd simulate --scenario`: the genesis test
/// plan of the seed document (000_990b0d8d88624a21.txt, tests 5-11) and the
/// PBFT fault cases, each on the simulated clock.
public enum Scenarios {
    static let all: [(name: String, run: @Sendable () -> ScenarioOutcome)] = [
        ("genesis-happy-path", GenesisScenarios.happyPath),
        ("genesis-delayed-validator", GenesisScenarios.delayedValidator),
        ("genesis-clock-skew-acceptable", GenesisScenarios.clockSkewAcceptable),
        ("genesis-clock-skew-excessive", GenesisScenarios.clockSkewExcessive),
        ("genesis-stale-rebroadcast", GenesisScenarios.staleRebroadcast),
        ("genesis-aggregator-crash-loop", GenesisScenarios.aggregatorCrashLoop),
        ("genesis-no-stall-at-height-zero", GenesisScenarios.noStallAtHeightZero),
        ("genesis-rebroadcast-bandwidth", GenesisScenarios.rebroadcastBandwidth),
        ("pbft-leader-crash", PBFTScenarios.leaderCrash),
        ("pbft-equivocating-leader", PBFTScenarios.equivocatingLeader),
        ("pbft-twins", PBFTScenarios.twins),
        ("pbft-partition-heal", PBFTScenarios.partitionHeal),
        ("pbft-censoring-leader", PBFTScenarios.censoringLeader),
        ("pbft-timeouts-reset-after-commit", PBFTScenarios.timeoutsResetAfterCommit),
        ("catch-up-after-partition", StateScenarios.catchUpAfterPartition),
        ("catch-up-from-snapshot", StateScenarios.catchUpFromSnapshot),
        ("forged-blocks-during-catch-up", StateScenarios.forgedBlocksDuringCatchUp),
        ("forged-snapshot", StateScenarios.forgedSnapshot),
        ("view-change-stale-restart", ViewChangeScenarios.staleRestartThenLeaderCrash),
        ("view-change-full-restart", ViewChangeScenarios.fullRestartThenLeaderCrash),
        ("byz-payload-swap", ByzantineScenarios.payloadSwap),
        ("byz-extreme-values", ByzantineScenarios.extremeValues),
        ("byz-far-future-views", ByzantineScenarios.farFutureViews),
        ("byz-flood", ByzantineScenarios.flood),
        ("byz-state-liar", ByzantineScenarios.stateLiar),
        ("diverged-replica-recovers", ByzantineScenarios.divergedReplicaRecovers),
        ("byz-catchup-liar", ByzantineScenarios.catchUpLiarBlocks),
        ("byz-catchup-liar-snapshot", ByzantineScenarios.catchUpLiarSnapshot),
        ("byz-selective-newview", ByzantineScenarios.selectiveNewView),
        ("byz-oversize", ByzantineScenarios.oversize),
        ("byz-commit-withholder", ByzantineScenarios.commitWithholder),
        ("storage-faults", { StorageScenarios.storageFaults() }),
        ("bounded-memory", { BoundedMemoryScenario.run(transactions: 1_000_000) }),
    ]

    /// Scenarios too long for a debug build (the unit tests skip them;
    /// `make test` runs them on the release binary).
    public static let long: Set<String> = ["catch-up-after-partition", "bounded-memory"]

    public static var names: [String] { all.map(\.name) }

    public static func run(_ name: String) -> ScenarioOutcome? {
        all.first { $0.name == name }?.run()
    }

    /// `storage-faults` with a daemon that sends a turn's messages before
    /// its records are durable: the checker must find an equivocation.
    public static func storageFaultsSendingBeforeDurable() -> ScenarioOutcome {
        StorageScenarios.storageFaults(sendingFirst: true)
    }

    /// `bounded-memory` with another transaction count.
    public static func boundedMemory(transactions: Int) -> ScenarioOutcome {
        BoundedMemoryScenario.run(transactions: transactions)
    }
}

/// Collects a scenario's checks into an outcome.
struct ScenarioReport {
    let name: String
    var failures: [String] = []
    var facts: [String] = []

    init(_ name: String) { self.name = name }

    mutating func check(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { failures.append(message()) }
    }

    mutating func fact(_ text: String) { facts.append(text) }

    func outcome(_ simulation: Simulation?) -> ScenarioOutcome {
        var failures = failures
        if let violation = simulation?.violation { failures.append("safety: \(violation)") }
        let status = failures.isEmpty ? "passed" : "FAILED: " + failures.joined(separator: "; ")
        return ScenarioOutcome(passed: failures.isEmpty, summary: "\(name): \(status) (\(facts.joined(separator: ", ")))")
    }
}

/// A scenario's cluster: no random faults, `load` transactions per second,
/// and at most one Byzantine validator, `attacker`, behaving as told.
func scenarioConfig(validators: Int, seed: UInt64 = 7, load: Double = 0, attacker: (ValidatorID, Behavior)? = nil) -> SimulationConfig {
    var config = SimulationConfig(seed: seed, validators: validators)
    config.faults = false
    config.transactionsPerSecond = load
    if let (id, behavior) = attacker {
        config.byzantine = 1
        config.byzantineIDs = [id]
        config.behaviors = [behavior]
    }
    return config
}

func makeSimulation(_ config: SimulationConfig, _ report: inout ScenarioReport) -> Simulation? {
    do {
        return try Simulation(config: config)
    } catch {
        report.check(false, "cannot build the simulation: \(error)")
        return nil
    }
}
