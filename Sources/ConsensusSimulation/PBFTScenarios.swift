import ConsensusCore

/// PBFT fault scenarios on four validators (f = 1).
enum PBFTScenarios {
    /// Runs genesis and some load, then returns the simulation for a fault.
    static func warmedUp(_ config: SimulationConfig, _ report: inout ScenarioReport) -> Simulation? {
        guard let simulation = makeSimulation(config, &report) else { return nil }
        simulation.run(until: { $0.canonicalHeight >= 3 }, maximumSteps: 3_000)
        report.check(simulation.canonicalHeight >= 3, "no commits before the fault")
        return simulation
    }

    static func drain(_ simulation: Simulation, _ report: inout ScenarioReport, steps: Int = 20_000) {
        simulation.stopSubmitting()
        let done = simulation.run(until: { $0.everythingCommitted }, maximumSteps: steps)
        report.check(done, "not everything was committed: \(simulation.canonicalHeight) blocks, \(simulation.submittedCount) submitted")
    }

    /// The view-0 leader crashes for 30 s under load: a view change elects
    /// the next leader and commits resume; the old leader catches up.
    @Sendable static func leaderCrash() -> ScenarioOutcome {
        var report = ScenarioReport("pbft-leader-crash")
        guard let simulation = warmedUp(scenarioConfig(validators: 4, load: 30), &report) else { return report.outcome(nil) }
        let before = simulation.canonicalHeight
        simulation.crash(validator: 1, forMs: 30_000)
        simulation.run(until: { $0.nowMs >= 20_000 + 1 }, maximumSteps: 3_000)
        report.check(simulation.canonicalHeight > before, "no commit after the leader crashed")
        let views = simulation.runningHonestReplicas.map(\.view)
        report.check(views.allSatisfy { $0 >= 1 }, "no view change: views \(views)")
        drain(simulation, &report)
        report.fact("height \(before) -> \(simulation.canonicalHeight), views \(views)")
        return report.outcome(simulation)
    }

    static func byzantine(_ name: String, _ behavior: Behavior) -> ScenarioOutcome {
        var report = ScenarioReport(name)
        var config = scenarioConfig(validators: 4, load: 30)
        config.byzantine = 1
        config.behaviors = [behavior]
        config.seed = 11
        guard let simulation = makeSimulation(config, &report) else { return report.outcome(nil) }
        simulation.run(until: { $0.nowMs >= 30_000 }, maximumSteps: 4_000)
        drain(simulation, &report)
        report.fact("height \(simulation.canonicalHeight), \(simulation.submittedCount) transactions, views \(simulation.runningHonestReplicas.map(\.view))")
        return report.outcome(simulation)
    }

    /// A Byzantine leader sends different blocks to different validators.
    @Sendable static func equivocatingLeader() -> ScenarioOutcome {
        byzantine("pbft-equivocating-leader", .equivocatingLeader)
    }

    /// Two honest replicas with one identity, each talking to half the cluster.
    @Sendable static func twins() -> ScenarioOutcome {
        byzantine("pbft-twins", .twins)
    }

    /// A leader that leaves some transactions out of every block: replicas
    /// that hold them past the request timeout vote it out.
    @Sendable static func censoringLeader() -> ScenarioOutcome {
        byzantine("pbft-censoring-leader", .censor)
    }

    /// {1,2} and {3,4} cannot reach each other for 20 s (no quorum on either
    /// side); after the heal everything submitted commits everywhere.
    @Sendable static func partitionHeal() -> ScenarioOutcome {
        var report = ScenarioReport("pbft-partition-heal")
        guard let simulation = warmedUp(scenarioConfig(validators: 4, load: 30), &report) else { return report.outcome(nil) }
        simulation.partition([1, 2])
        let during = simulation.canonicalHeight
        simulation.run(until: { _ in false }, maximumSteps: 2_000)
        report.check(simulation.canonicalHeight <= during + 4, "commits continued without a quorum")
        simulation.partition(nil)
        drain(simulation, &report)
        report.fact("height \(during) during the partition, \(simulation.canonicalHeight) after")
        return report.outcome(simulation)
    }

    /// Repeated view changes double the timeout; the first commit after the
    /// heal brings it back to the base.
    @Sendable static func timeoutsResetAfterCommit() -> ScenarioOutcome {
        var report = ScenarioReport("pbft-timeouts-reset-after-commit")
        var config = scenarioConfig(validators: 4, load: 10)
        config.pbft.viewChangeTimeoutCapMs = 60_000
        guard let simulation = warmedUp(config, &report) else { return report.outcome(nil) }
        simulation.partition([1, 2])
        simulation.run(until: { _ in false }, maximumSteps: 3_000)
        let grown = simulation.runningHonestReplicas.map(\.nextViewChangeTimeoutMs).max() ?? 0
        report.check(grown > config.pbft.viewChangeTimeoutBaseMs, "the timeout did not grow: \(grown) ms")
        simulation.partition(nil)
        let height = simulation.canonicalHeight
        report.check(simulation.run(until: { $0.canonicalHeight > height }, maximumSteps: 20_000), "no commit after the heal")
        simulation.run(until: { sim in sim.runningHonestReplicas.allSatisfy { $0.committedHeight >= height + 1 } }, maximumSteps: 5_000)
        let after = simulation.runningHonestReplicas.map(\.nextViewChangeTimeoutMs)
        report.check(after.allSatisfy { $0 == config.pbft.viewChangeTimeoutBaseMs }, "timeouts after the commit: \(after)")
        drain(simulation, &report)
        report.fact("timeout grew to \(grown) ms, back to \(after.max() ?? 0) ms after a commit")
        return report.outcome(simulation)
    }
}
