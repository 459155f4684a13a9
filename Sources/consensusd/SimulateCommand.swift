import ArgumentParser
import ConsensusCore
import ConsensusSimulation
import Foundation

/// `consensusd simulate`: the deterministic simulator on the command line,
/// so anyone can replay a failing seed (docs/simulation.md).
struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run the deterministic consensus simulator: one seed, many seeds, or a named scenario.")

    @Option(help: "Run this one seed.") var seed: UInt64?
    @Option(help: "Run this many seeds.") var seeds: Int?
    @Option(help: "First seed of --seeds.") var firstSeed: UInt64 = 1
    @Option(help: "Validators (4-10). Without it, --seeds varies N over 4..10.") var validators: Int?
    @Option(help: "Byzantine validators (at most f).") var byzantine: Int?
    @Option(help: "Steps of the safety phase (10 ms each).") var steps: Int?
    @Flag(help: "Lower the quorum one below the safe minimum: the checker must then find violations.") var unsafeQuorum = false
    @Flag(help: "List the scenario names.") var list = false
    @Option(help: "Run one named scenario.") var scenario: String?
    @Flag(help: "Measure simulated throughput and commit latency.") var bench = false
    @Option(help: "Transactions for --scenario bounded-memory (default 1,000,000).") var transactions: Int?

    func validate() throws {
        if let validators, !(4...10).contains(validators) { throw ValidationError("--validators must be 4-10, got \(validators)") }
        if let byzantine, byzantine < 0 { throw ValidationError("--byzantine must be 0 or more") }
        if let validators, let byzantine, byzantine > (validators - 1) / 3 {
            throw ValidationError("--byzantine \(byzantine) exceeds f = \((validators - 1) / 3) for \(validators) validators")
        }
        if let steps, steps < 100 { throw ValidationError("--steps must be at least 100") }
        if let seeds, seeds < 1 { throw ValidationError("--seeds must be at least 1") }
        let modes = [seed != nil, seeds != nil, list, scenario != nil, bench].filter { $0 }.count
        guard modes == 1 else { throw ValidationError("give exactly one of --seed, --seeds, --list, --scenario, --bench") }
    }

    func run() throws {
        if list {
            for name in Scenarios.names { print(name) }
            return
        }
        if let transactions, transactions < 1 { throw ValidationError("--transactions must be at least 1") }
        if transactions != nil, scenario != "bounded-memory" { throw ValidationError("--transactions goes with --scenario bounded-memory") }
        if let scenario {
            let run = { () -> ScenarioOutcome? in
                if let transactions { return Scenarios.boundedMemory(transactions: transactions) }
                return Scenarios.run(scenario)
            }
            guard let outcome = run() else {
                throw ValidationError("unknown scenario \"\(scenario)\"; see --list")
            }
            print(outcome.summary)
            if !outcome.passed { throw ExitCode.failure }
            return
        }
        if bench {
            SimulationBench.run()
            return
        }
        if let seed {
            let result = try runOne(seed: seed)
            print(describe(result))
            if !result.passed {
                print("FAILED: \(result.safetyViolation ?? result.livenessFailure ?? "")")
                print("replay: \(replayCommand(result))")
                throw ExitCode.failure
            }
            return
        }
        var safety = 0
        var liveness = 0
        var totalCommitted = 0
        var roots = 0, rejections = 0, checkpoints = 0, snapshots = 0, forgeries = 0, storageFaults = 0
        let started = Date()
        for offset in 0..<(seeds ?? 0) {
            let current = firstSeed &+ UInt64(offset)
            let result = try runOne(seed: current)
            totalCommitted += result.committedTransactions
            roots += result.stateRootsCompared
            rejections += result.stateRejections
            checkpoints += result.stableCheckpoints
            snapshots += result.snapshotsInstalled
            forgeries += result.forgeriesDetected
            storageFaults += result.storageFaults
            if result.safetyViolation != nil { safety += 1 }
            if result.livenessFailure != nil { liveness += 1 }
            if !result.passed {
                print("seed \(current): \(result.safetyViolation.map { "SAFETY \($0)" } ?? "LIVENESS \(result.livenessFailure ?? "")")")
                print("  replay: \(replayCommand(result))")
            }
        }
        let seconds = Date().timeIntervalSince(started)
        print("seeds=\(seeds ?? 0) safety_violations=\(safety) liveness_failures=\(liveness) committed_tx=\(totalCommitted) "
            + "roots_compared=\(roots) state_rejections=\(rejections) stable_checkpoints=\(checkpoints) snapshots_installed=\(snapshots) "
            + "forgeries_detected=\(forgeries) storage_faults=\(storageFaults) wall_s=\(String(format: "%.1f", seconds))")
        if safety > 0 || liveness > 0 { throw ExitCode.failure }
    }

    private func runOne(seed: UInt64) throws -> SimulationResult {
        var config = SimulationConfig.random(seed: seed, validators: validators, byzantine: byzantine)
        if let steps { config.safetySteps = steps }
        config.unsafeQuorum = unsafeQuorum
        return try Simulation(config: config).run()
    }

    private func replayCommand(_ result: SimulationResult) -> String {
        var command = "consensusd simulate --seed \(result.config.seed) --validators \(result.config.validators) --byzantine \(result.config.byzantine)"
        if let steps { command += " --steps \(steps)" }
        if unsafeQuorum { command += " --unsafe-quorum" }
        return command
    }

    private func describe(_ result: SimulationResult) -> String {
        let behaviors = result.behaviors.filter { $0.value != .honest }.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.rawValue)" }.joined(separator: ",")
        return "seed=\(result.config.seed) validators=\(result.config.validators) byzantine=\(result.config.byzantine) [\(behaviors)] "
            + "height=\(result.committedHeight) committed_tx=\(result.committedTransactions)/\(result.submittedTransactions) "
            + "view_changes=\(result.viewChanges) messages=\(result.messagesDelivered) simulated_s=\(result.simulatedMs / 1000) "
            + "roots_compared=\(result.stateRootsCompared) state_rejections=\(result.stateRejections) stable_checkpoints=\(result.stableCheckpoints) "
            + "snapshots_installed=\(result.snapshotsInstalled) forgeries_detected=\(result.forgeriesDetected) "
            + StorageFault.allCases.map { "\($0.rawValue)=\(result.notes[$0.rawValue] ?? 0) " }.joined()
            + "result=\(result.passed ? "ok" : "FAILED")"
    }
}
