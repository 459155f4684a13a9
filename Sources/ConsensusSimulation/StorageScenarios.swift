import ConsensusCore

/// Storage faults at random moments (issue 11, point 7): torn group
/// commits, failed syncs and a corrupt log on honest validators, while an
/// equivocating leader offers a replica that forgot its votes a second
/// block to sign. Each replica recovers or refuses to start; none signs
/// twice for one slot (the checker's equivocation rule), and the cluster
/// keeps committing.
enum StorageScenarios {
    /// `sendingFirst`: torn writes on leaders' proposal turns that send
    /// their messages and lose their records (a daemon that sent before
    /// `fdatasync` returned).
    @Sendable static func storageFaults(sendingFirst: Bool = false) -> ScenarioOutcome {
        var report = ScenarioReport(sendingFirst ? "storage-faults (sending before durable)" : "storage-faults")
        // Seven validators: one Byzantine and one lost to a corrupt log stay
        // within the two faults the quorum tolerates.
        let config = scenarioConfig(validators: 7, seed: 5, load: 30, attacker: (1, .equivocatingLeader))
        guard let simulation = makeSimulation(config, &report) else { return report.outcome(nil) }
        simulation.injectStorageFaults(probabilityPerStep: 0.01, sendingFirst: sendingFirst)
        simulation.run(until: { $0.nowMs >= 60_000 }, maximumSteps: 6_010)
        simulation.injectStorageFaults(probabilityPerStep: 0)
        simulation.heal()
        PBFTScenarios.drain(simulation, &report)
        let counts = StorageFault.allCases.map { ($0, simulation.storageFaults($0)) }
        // With the modelled bug only torn writes of proposals are injected.
        for (kind, count) in counts where !sendingFirst || kind == .tornWrite { report.check(count > 0, "no \(kind.rawValue) happened") }
        let refusing = simulation.honestIDs.filter { simulation.refusesToStart($0) }
        if !sendingFirst { report.check(refusing.count == 1, "validators refusing to start: \(refusing)") }
        report.check(refusing.allSatisfy { !simulation.isUp($0) }, "a validator with a corrupt log started")
        report.fact(counts.map { "\($0.0.rawValue) \($0.1)" }.joined(separator: ", "))
        report.fact("height \(simulation.canonicalHeight), \(simulation.submittedCount) transactions, refusing to start: \(refusing)")
        return report.outcome(simulation)
    }
}
