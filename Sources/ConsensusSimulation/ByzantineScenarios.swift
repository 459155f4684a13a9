import ConsensusCore

/// Scenarios in which one validator attacks with its own valid key (issue
/// 11's adversaries). Each names the attack, runs it on four validators
/// (f = 1) with the attacker leading view 0, and requires that the honest
/// replicas stay up, agree on every byte and commit everything submitted.
enum ByzantineScenarios {
    static func attack(_ name: String, _ behavior: Behavior, seed: UInt64 = 11, seconds: Int64 = 40) -> (ScenarioReport, Simulation?) {
        var report = ScenarioReport(name)
        let config = scenarioConfig(validators: 4, seed: seed, load: 30, attacker: (1, behavior))
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

    /// The peak of what a Byzantine peer could make an honest replica hold,
    /// against the bound, as scenario facts.
    static func memoryFacts(_ simulation: Simulation, _ report: inout ScenarioReport) {
        let peaks = simulation.peakRetained
        let bounds = simulation.retainedBounds
        let shown = ["slot_votes", "view_changes", "early_proposals", "pre_genesis_messages"].map { key in
            "\(key) \(peaks[key] ?? 0)/\(bounds[key] ?? 0)"
        }
        report.fact("peak per replica: " + shown.joined(separator: ", "))
        for (key, bound) in bounds.sorted(by: { $0.key < $1.key }) {
            report.check((peaks[key] ?? 0) <= bound, "an honest replica held \(peaks[key] ?? 0) \(key), over the bound of \(bound)")
        }
    }

    /// Votes and view changes for views up to 2^62 with random digests, and
    /// proposals for the far-future views it leads: honest replicas keep
    /// at most one vote per (voter, phase, view, height) in a few views
    /// above theirs, one view change per voter, and commit on.
    @Sendable static func farFutureViews() -> ScenarioOutcome {
        var (report, simulation) = attack("byz-far-future-views", .farFutureViews)
        if let simulation { memoryFacts(simulation, &report) }
        return report.outcome(simulation)
    }

    /// As many valid messages as the network takes.
    @Sendable static func flood() -> ScenarioOutcome {
        var (report, simulation) = attack("byz-flood", .flood)
        if let simulation {
            memoryFacts(simulation, &report)
            let throttled = simulation.runningHonestReplicas.map(\.statistics.throttledRequests).reduce(0, +)
            report.fact("\(throttled) block/snapshot requests throttled")
        }
        return report.outcome(simulation)
    }

    /// The leader certifies made-up state roots and outcome hashes in the
    /// blocks it proposes, and signs made-up roots in its checkpoints:
    /// honest replicas refuse every such proposal (they vote only for
    /// results they computed) and no committed block certifies a result
    /// honest replicas did not compute (the checker compares each one).
    @Sendable static func stateLiar() -> ScenarioOutcome {
        var (report, simulation) = attack("byz-state-liar", .stateLiar)
        if let simulation {
            let refused = simulation.runningHonestReplicas.map(\.statistics.refusedProposals).reduce(0, +)
            report.check(refused > 0, "no honest replica refused a lying proposal: the attack never reached the check")
            report.fact("\(refused) proposals with made-up results refused by honest replicas")
        }
        return report.outcome(simulation)
    }

    /// Validator 2's state machine misreads some early events (a faulty
    /// build): its root and outcomes diverge from the others'. It must
    /// notice when a certified block disagrees with it, stop voting and
    /// executing, install the cluster's next snapshot, and end with the
    /// honest root; the others never stop committing.
    @Sendable static func divergedReplicaRecovers() -> ScenarioOutcome {
        var report = ScenarioReport("diverged-replica-recovers")
        var config = scenarioConfig(validators: 4, seed: 21, load: 30, attacker: (2, .divergentExecutor))
        config.divergentExecutionMs = 6_000
        guard let simulation = makeSimulation(config, &report) else { return report.outcome(nil) }
        simulation.run(until: { $0.nowMs >= 40_000 }, maximumSteps: 4_010)
        PBFTScenarios.drain(simulation, &report)
        let divergences = simulation.result.notes["divergences"] ?? 0
        report.check(divergences >= 1, "the faulty replica never noticed its state diverged")
        if let faulty = simulation.replica(2) {
            report.check(faulty.divergence == nil, "validator 2 is still halted: \(faulty.divergence.map { "\($0)" } ?? "")")
            report.check(faulty.statistics.snapshotsInstalled >= 1, "validator 2 never installed a snapshot to recover")
            let root = simulation.canonicalRoot(at: faulty.committedHeight)
            report.check(root == faulty.stateRoot, "validator 2 ends at height \(faulty.committedHeight) with root \(faulty.stateRoot.short), honest \(root?.short ?? "none")")
            report.fact("validator 2 diverged \(divergences) time(s), installed \(faulty.statistics.snapshotsInstalled) snapshot(s), ends at height \(faulty.committedHeight) of \(simulation.canonicalHeight)")
        }
        return report.outcome(simulation)
    }

    /// Validator 1 leads and serves catch-up badly (answers dropped, cut to
    /// one block, snapshot chunks trickling). Validator 4 is cut off while
    /// the others commit `behindBy` blocks, then can reach only the liar
    /// for 5 s (it must ask it and pass it over), then rejoins everyone: it
    /// must catch up from honest peers.
    static func catchUpLiar(_ name: String, behindBy blocks: Int, retainedBlocks: Int) -> ScenarioOutcome {
        var report = ScenarioReport(name)
        var config = scenarioConfig(validators: 4, seed: 13, load: 200, attacker: (1, .catchUpLiar))
        config.pbft.retainedBlocks = retainedBlocks
        guard let simulation = makeSimulation(config, &report) else { return report.outcome(nil) }
        simulation.run(until: { $0.canonicalHeight >= 5 }, maximumSteps: 3_000)
        simulation.partition([4])
        let start = simulation.canonicalHeight
        simulation.run(until: { $0.canonicalHeight >= start + blocks }, maximumSteps: 100_000)
        // First validator 4 can reach only the liar: it must ask it, and
        // get nowhere fast (without this phase the honest peers answered
        // first and the liar was never tried).
        simulation.partition([1, 4])
        let behind = simulation.replica(4)?.committedHeight ?? 0
        simulation.run(until: { _ in false }, maximumSteps: 500)
        let viaLiar = (simulation.replica(4)?.committedHeight ?? 0) - behind
        let passedOverBefore = simulation.replica(4)?.statistics.unresponsivePeers ?? 0
        report.check(passedOverBefore >= 1, "validator 4 never passed over the liar while it could reach only it")
        simulation.partition(nil)
        let healedAt = simulation.nowMs
        simulation.stopSubmitting()
        let caughtUp = simulation.run(
            until: { $0.everythingCommitted && Set($0.runningHonestReplicas.map(\.lastBlockHash)).count == 1 }, maximumSteps: 30_000)
        report.check(caughtUp, "validator 4 did not catch up: heights \(simulation.runningHonestReplicas.map(\.committedHeight))")
        if let lagging = simulation.replica(4) {
            let s = lagging.statistics
            report.fact(
                "\(blocks) blocks behind, \(viaLiar) gained in 5 s with only the liar to ask, caught up \(simulation.nowMs - healedAt) ms after the heal; "
                    + "passed over \(s.unresponsivePeers) unresponsive answer(s), "
                    + "abandoned \(s.abandonedTransfers) transfer(s), installed \(s.snapshotsInstalled) snapshot(s)")
        }
        return report.outcome(simulation)
    }

    @Sendable static func catchUpLiarBlocks() -> ScenarioOutcome {
        catchUpLiar("byz-catchup-liar", behindBy: 300, retainedBlocks: 10_000)
    }

    @Sendable static func catchUpLiarSnapshot() -> ScenarioOutcome {
        catchUpLiar("byz-catchup-liar-snapshot", behindBy: 400, retainedBlocks: 20)
    }

    /// Validator 2 leads view 1 and sends its NewView to one validator
    /// only. The leader of view 0 crashes for 20 s: the replicas left out
    /// must still enter a view with the others (from the NewView a peer
    /// in the view answers with, or the next view change), and commits
    /// must resume with every live replica in one view.
    @Sendable static func selectiveNewView() -> ScenarioOutcome {
        var report = ScenarioReport("byz-selective-newview")
        let config = scenarioConfig(validators: 4, seed: 17, load: 30, attacker: (2, .selectiveNewView))
        guard let simulation = makeSimulation(config, &report) else { return report.outcome(nil) }
        simulation.run(until: { $0.nowMs >= 5_000 }, maximumSteps: 600)
        simulation.crash(validator: 1, forMs: 20_000)
        let crashedAt = simulation.nowMs
        let before = simulation.canonicalHeight
        let resumed = simulation.run(until: { $0.canonicalHeight > before + 3 }, maximumSteps: 3_000)
        report.check(resumed, "no commit within 30 s of the leader crash")
        report.fact("commits resumed \(simulation.nowMs - crashedAt) ms after the crash")
        PBFTScenarios.drain(simulation, &report)
        let views = Set(simulation.runningHonestReplicas.map(\.view))
        report.check(views.count == 1, "live honest replicas in views \(views.sorted())")
        report.fact("height \(simulation.canonicalHeight), views \(simulation.runningHonestReplicas.map(\.view))")
        return report.outcome(simulation)
    }

    /// Clients send the largest events (evidence padded to 60 KiB), so
    /// blocks fill the byte budget; the leader gets a window of them
    /// prepared but never committed (proposals skip validator 4, its commit
    /// votes withheld). The view change that follows must fit the frame
    /// limit (before: a window of full blocks in every view change, and
    /// 2f+1 of those in the NewView), validator 4 must fetch the bodies it
    /// never saw, and everything must commit.
    @Sendable static func oversize() -> ScenarioOutcome {
        var report = ScenarioReport("byz-oversize")
        var config = scenarioConfig(validators: 4, seed: 19, load: 8_000, attacker: (1, .oversize))
        config.pbft.maximumBlockTransactions = 500
        var workload = SimulatedWorkload(seed: 19)
        workload.anomalyPercent = 0
        workload.evidencePercent = 100
        workload.evidencePaddingBytes = 60_000
        config.workload = workload
        guard let simulation = makeSimulation(config, &report) else { return report.outcome(nil) }
        // A burst of 60 KiB events (about 2,400): blocks fill the byte budget.
        simulation.run(until: { $0.nowMs >= 300 }, maximumSteps: 40)
        simulation.stopSubmitting()
        simulation.run(until: { $0.nowMs >= 20_000 }, maximumSteps: 2_010)
        report.check(simulation.canonicalHeight > 0, "nothing committed under the attack")
        PBFTScenarios.drain(simulation, &report)
        let largest = simulation.largestHonestFrame
        let shown = ["proposal", "view_change", "new_view", "blocks", "block_body_request", "block_body"].map { "\($0) \(largest[$0] ?? 0) B" }
        report.fact("largest honest messages: " + shown.joined(separator: ", ") + " (frame limit \(SimulatedFrames.limit) B)")
        report.check((largest["view_change"] ?? 0) > 0, "no view change happened: the attack never reached what it aims at")
        let carried = simulation.largestPreparedTransactions
        report.fact("a view change named \(carried) prepared transactions, about \(carried * 60 / 1024) MiB that it carried in full before")
        report.check(carried * 60 * 1024 > SimulatedFrames.limit, "the prepared window stayed under the frame limit even in full: the attack is too weak")
        report.fact("height \(simulation.canonicalHeight), \(simulation.submittedCount) transactions, views \(simulation.runningHonestReplicas.map(\.view))")
        return report.outcome(simulation)
    }

    /// The leader commits blocks alone (commit votes withheld, proposals
    /// skipping validator 4) and sends a view change carrying that commit
    /// certificate at once: the next NewView's base is a height no honest
    /// replica committed and only the attacker could serve. The honest ones
    /// hold those blocks prepared and must commit them (before: the base
    /// was the view's floor, nobody could fetch it, and every later view
    /// stalled the same way).
    @Sendable static func commitWithholder() -> ScenarioOutcome {
        var report = ScenarioReport("byz-commit-withholder")
        let config = scenarioConfig(validators: 4, seed: 23, load: 30, attacker: (1, .commitWithholder))
        guard let simulation = makeSimulation(config, &report) else { return report.outcome(nil) }
        // How far the attacker's commits ran ahead of every honest one.
        var ahead = 0
        simulation.run(until: { sim in
            ahead = max(ahead, Int(sim.replica(1)?.committedHeight ?? 0) - sim.canonicalHeight)
            return sim.nowMs >= 30_000
        }, maximumSteps: 3_010)
        report.check(ahead > 0, "the attacker never committed a block alone: the attack never reached what it aims at")
        report.fact("the attacker committed up to \(ahead) height(s) no honest replica had")
        PBFTScenarios.drain(simulation, &report)
        let honest = simulation.runningHonestReplicas
        report.check(honest.count == 3, "honest replicas running: \(honest.count) of 3")
        report.fact("height \(simulation.canonicalHeight), \(simulation.submittedCount) transactions, views \(honest.map(\.view))")
        return report.outcome(simulation)
    }

    /// Signed messages with Int64/UInt64 extremes in every numeric field:
    /// no honest replica may crash, stall or grow without bound.
    @Sendable static func extremeValues() -> ScenarioOutcome {
        let (report, simulation) = attack("byz-extreme-values", .extremeValues)
        return report.outcome(simulation)
    }
}
