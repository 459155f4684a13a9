import ConsensusCore

/// ConsensusCore II scenarios: catching up by blocks and by snapshot,
/// forged catch-up data, and memory that stays flat under a long run.
enum StateScenarios {
    /// Like the quiet scenario cluster, with the production checkpoint
    /// spacing scaled down so that runs cross many checkpoints.
    static func config(load: Double, seed: UInt64 = 21) -> SimulationConfig {
        var config = scenarioConfig(validators: 4, seed: seed, load: load)
        config.pbft.checkpointInterval = 50
        config.pbft.retainedBlocks = 100
        config.pbft.snapshotChunkEntries = 256
        return config
    }

    /// Honest replicas' (height, state root), for the final comparison.
    static func roots(_ simulation: Simulation) -> [String] {
        simulation.honestIDs.compactMap { id in
            guard let replica = simulation.replica(id) else { return nil }
            return "\(id)@\(replica.committedHeight):\(replica.stateRoot.short)"
        }
    }

    static func allAgree(_ simulation: Simulation) -> Bool {
        let heights = simulation.honestIDs.compactMap { simulation.replica($0)?.committedHeight }
        let uniqueRoots = Set(simulation.honestIDs.compactMap { simulation.replica($0)?.stateRoot })
        return heights.count == simulation.honestIDs.count && Set(heights).count == 1 && uniqueRoots.count == 1
    }

    /// Validator 4 is cut off while the other three commit 10,000 blocks;
    /// after the heal it takes a snapshot (its peers dropped those blocks)
    /// and the blocks above it, and ends with the same state root.
    @Sendable static func catchUpAfterPartition() -> ScenarioOutcome {
        var report = ScenarioReport("catch-up-after-partition")
        var config = config(load: 400)
        config.pbft.maximumBlockTransactions = 8
        guard let simulation = makeSimulation(config, &report) else { return report.outcome(nil) }
        simulation.run(until: { $0.canonicalHeight >= 5 }, maximumSteps: 3_000)
        simulation.partition([4])
        let cutAt = simulation.replica(4)?.committedHeight ?? 0
        let reached = simulation.run(until: { $0.canonicalHeight >= Int(cutAt) + 10_000 }, maximumSteps: 400_000)
        report.check(reached, "the majority did not commit 10,000 blocks while validator 4 was cut off (height \(simulation.canonicalHeight))")
        let behind = simulation.canonicalHeight - Int(simulation.replica(4)?.committedHeight ?? 0)
        simulation.partition(nil)
        simulation.stopSubmitting()
        let caughtUp = simulation.run(until: { $0.everythingCommitted && allAgree($0) }, maximumSteps: 30_000)
        report.check(caughtUp, "validator 4 did not catch up: \(roots(simulation))")
        let installed = simulation.replica(4)?.statistics.snapshotsInstalled ?? 0
        report.check(installed >= 1, "validator 4 caught up without a snapshot although its peers dropped the blocks")
        report.fact("validator 4 was \(behind) blocks behind, installed \(installed) snapshot(s); roots \(roots(simulation).joined(separator: " "))")
        return report.outcome(simulation)
    }

    /// Validator 3 loses its disk and restarts empty: it gets the genesis
    /// certificate from a peer, then a snapshot, then the newest blocks.
    @Sendable static func catchUpFromSnapshot() -> ScenarioOutcome {
        var report = ScenarioReport("catch-up-from-snapshot")
        guard let simulation = makeSimulation(config(load: 200), &report) else { return report.outcome(nil) }
        simulation.run(until: { $0.canonicalHeight >= 400 }, maximumSteps: 100_000)
        report.check(simulation.canonicalHeight >= 400, "the cluster did not reach height 400")
        simulation.wipe(validator: 3, forMs: 1_000)
        simulation.run(until: { $0.isUp(3) }, maximumSteps: 1_000)
        let restartedAt = simulation.replica(3)?.committedHeight ?? 99
        report.check(restartedAt == 0, "the wiped validator restarted at height \(restartedAt), not 0")
        simulation.stopSubmitting()
        let caughtUp = simulation.run(until: { $0.everythingCommitted && allAgree($0) }, maximumSteps: 30_000)
        report.check(caughtUp, "the wiped validator did not catch up: \(roots(simulation))")
        let installed = simulation.replica(3)?.statistics.snapshotsInstalled ?? 0
        report.check(installed >= 1, "the wiped validator did not use a snapshot")
        report.fact("restarted empty at height \(simulation.canonicalHeight) of the cluster, \(installed) snapshot(s) installed; roots \(roots(simulation).joined(separator: " "))")
        return report.outcome(simulation)
    }

    /// Validator 4 is Byzantine and answers catch-up with forged data.
    /// Validator 3 falls behind, then for a while can reach only the forger:
    /// everything it is served is refused. When the network heals it catches
    /// up from an honest peer.
    static func forgedCatchUp(_ name: String, behindBy blocks: Int, retainedBlocks: Int) -> ScenarioOutcome {
        var report = ScenarioReport(name)
        var config = config(load: 200, seed: 5)
        config.pbft.retainedBlocks = retainedBlocks
        config.byzantine = 1
        config.behaviors = [.forgingServer]
        guard let simulation = makeSimulation(config, &report) else { return report.outcome(nil) }
        report.check(simulation.honestIDs.count == 3, "expected one Byzantine validator")
        let forger = ValidatorID(UInt32(Set([1, 2, 3, 4]).subtracting(simulation.honestIDs.map { Int($0.value) }).first ?? 4))
        let lagging = simulation.honestIDs.last!
        simulation.run(until: { $0.canonicalHeight >= 5 }, maximumSteps: 3_000)
        simulation.partition([lagging])
        let start = simulation.canonicalHeight
        simulation.run(until: { $0.canonicalHeight >= start + blocks }, maximumSteps: 100_000)
        let heightBefore = simulation.replica(lagging)?.committedHeight ?? 0
        // Only the forger answers the lagging validator now.
        simulation.partition([lagging, forger])
        simulation.run(until: { _ in false }, maximumSteps: 1_000)
        let statistics = simulation.replica(lagging)?.statistics ?? Replica.Statistics()
        let heightDuring = simulation.replica(lagging)?.committedHeight ?? 0
        report.check(statistics.rejectedBlocks + statistics.rejectedSnapshots >= 1, "the forged data was never detected: \(statistics)")
        report.check(heightDuring == heightBefore, "validator \(lagging) advanced from \(heightBefore) to \(heightDuring) on forged data")
        simulation.partition(nil)
        simulation.stopSubmitting()
        let caughtUp = simulation.run(until: { $0.everythingCommitted && allAgree($0) }, maximumSteps: 30_000)
        report.check(caughtUp, "validator \(lagging) did not catch up from honest peers: \(roots(simulation))")
        report.fact("forger \(forger), validator \(lagging) \(simulation.canonicalHeight - Int(heightBefore)) blocks behind; refused \(statistics.rejectedBlocks) forged block batch(es) and \(statistics.rejectedSnapshots) forged snapshot(s); roots \(roots(simulation).joined(separator: " "))")
        return report.outcome(simulation)
    }

    /// Behind by less than the retained blocks: the forger serves blocks.
    @Sendable static func forgedBlocksDuringCatchUp() -> ScenarioOutcome {
        forgedCatchUp("forged-blocks-during-catch-up", behindBy: 60, retainedBlocks: 10_000)
    }

    /// Behind by far more than the retained blocks: the forger serves a snapshot.
    @Sendable static func forgedSnapshot() -> ScenarioOutcome {
        forgedCatchUp("forged-snapshot", behindBy: 400, retainedBlocks: 20)
    }
}

/// The long-run memory check: counts of everything a replica retains
/// besides the state itself, printed at the start, middle and end.
enum BoundedMemoryScenario {
    /// Runs `transactions` through the cluster (`make sim`: the full
    /// million; `make test` fewer, to stay within its time budget).
    static func run(transactions: Int) -> ScenarioOutcome {
        var report = ScenarioReport("bounded-memory")
        let rate = 4_000.0
        var config = StateScenarios.config(load: rate, seed: 3)
        config.pbft.maximumBlockTransactions = 500
        config.pbft.checkpointInterval = 100
        config.pbft.retainedBlocks = 200
        // A nonce TTL short enough for nonce records to reach their plateau
        // in the first quarter of the run (at most 20 s of block time).
        let runMs = Int64(Double(transactions) / rate * 1_000)
        config.pbft.state.nonceTTLMs = min(20_000, max(2_000, runMs / 8))
        var workload = SimulatedWorkload(seed: 3)
        workload.anomalyPercent = 10
        workload.evidencePercent = 10
        config.workload = workload
        guard let simulation = makeSimulation(config, &report) else { return report.outcome(nil) }
        var samples: [(label: String, submitted: Int, retained: [String: Int], state: Int)] = []
        let points = [("start", min(transactions, 10_000)), ("25%", transactions / 4), ("middle", transactions / 2), ("75%", transactions * 3 / 4), ("end", transactions)]
        for (label, count) in points {
            let reached = simulation.run(until: { $0.submittedCount >= count }, maximumSteps: 10_000_000)
            report.check(reached, "only \(simulation.submittedCount) transactions submitted")
            guard let replica = simulation.runningHonestReplicas.first else { continue }
            samples.append((label, simulation.submittedCount, replica.retained, replica.ledger.entryCount))
        }
        simulation.stopSubmitting()
        report.check(simulation.run(until: { $0.everythingCommitted }, maximumSteps: 20_000), "not everything committed at the end")
        for entry in samples where ["start", "middle", "end"].contains(entry.label) {
            let figures = entry.retained.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            report.fact("\(entry.label) (\(entry.submitted) tx): \(figures) state_entries=\(entry.state)")
        }
        if samples.count == 5 {
            // Flat: the second half holds no more than 1.5 times the first
            // half's peak (plus slack for sawtooth counts such as the expiry
            // queue, rebuilt once a second). Linear growth doubles.
            for key in samples[4].retained.keys {
                let firstHalf = max(samples[1].retained[key] ?? 0, samples[2].retained[key] ?? 0)
                let secondHalf = max(samples[3].retained[key] ?? 0, samples[4].retained[key] ?? 0)
                report.check(secondHalf <= firstHalf * 3 / 2 + 4_096, "\(key) kept growing: \(firstHalf) in the first half, \(secondHalf) in the second")
            }
        }
        report.fact("nonce TTL \(config.pbft.state.nonceTTLMs / 1_000) s of block time")
        report.fact("height \(simulation.canonicalHeight), \(simulation.submittedCount) transactions")
        return report.outcome(simulation)
    }
}
