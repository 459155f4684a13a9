import ConsensusCore

/// Scenarios in which one validator attacks with its own valid key (issue
/// 11's adversaries). Each names the attack, runs it on four validators
/// (f = 1) with the attacker leading view 0, and requires that the honest
/// replicas stay up, agree on every byte and commit everything submitted.
enum ByzantineScenarios {
    static func attack(_ name: String, _ behavior: Behavior, seed: UInt64 = 11, seconds: Int64 = 40) -> (ScenarioReport, Simulation?) {
        var report = ScenarioReport(name)
        var config = scenarioConfig(validators: 4, seed: seed, load: 30)
        config.byzantine = 1
        config.byzantineIDs = [1]
        config.behaviors = [behavior]
        guard let simulation = makeSimulation(config, &report) else { return (report, nil) }
        simulation.run(until: { $0.nowMs >= seconds * 1_000 }, maximumSteps: Int(seconds * 100) + 10)
        report.check(simulation.canonicalHeight > 0, "nothing committed under the attack")
        PBFTScenarios.drain(simulation, &report)
        let honest = simulation.runningHonestReplicas
        report.check(honest.count == 3, "honest replicas running: \(honest.count) of 3")
        report.fact("height \(simulation.canonicalHeight), \(simulation.submittedCount) transactions, views \(honest.map(\.view))")
        return (report, simulation)
    }

    /// The leader proposes known ids with other payloads (split between
    /// halves): honest replicas must refuse every swapped proposal, and no
    /// committed transaction may carry bytes its producer did not sign.
    @Sendable static func payloadSwap() -> ScenarioOutcome {
        let (report, simulation) = attack("byz-payload-swap", .payloadSwap)
        var checked = report
        if let simulation {
            let refused = simulation.runningHonestReplicas.map(\.statistics.refusedProposals).reduce(0, +)
            checked.fact("\(refused) proposals refused by honest replicas")
        }
        return checked.outcome(simulation)
    }

    /// Signed messages with Int64/UInt64 extremes in every numeric field:
    /// no honest replica may crash, stall or grow without bound.
    @Sendable static func extremeValues() -> ScenarioOutcome {
        let (report, simulation) = attack("byz-extreme-values", .extremeValues)
        return report.outcome(simulation)
    }
}
