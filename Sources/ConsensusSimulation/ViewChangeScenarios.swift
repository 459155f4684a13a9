import ConsensusCore

/// View-change liveness after restarts (issue 11, point 0): found by an
/// operator, not by the seeds. A validator that suspects the leader alone,
/// or restarts with a view-change target from its log that the others
/// left, must not escalate alone; once the leader dies the survivors must
/// meet in one view and commit again within a bounded time.
enum ViewChangeScenarios {
    /// The leader of the view most running honest replicas are in.
    static func currentLeader(_ simulation: Simulation) -> ValidatorID? {
        let replicas = simulation.runningHonestReplicas.filter { !$0.isChangingView }
        var counts: [UInt64: Int] = [:]
        for replica in replicas { counts[replica.view, default: 0] += 1 }
        guard let view = counts.max(by: { ($0.value, $0.key) < ($1.value, $1.key) })?.key else { return nil }
        return replicas.first { $0.view == view }?.leader
    }

    /// Crashes the leader for good, then requires commits within 15
    /// simulated seconds (a leader timeout, a view change, a doubled one if
    /// the next leader is the dead one) and, 10 s later, every running
    /// replica in one view. First: no replica has escalated alone, i.e. no
    /// target is beyond the next view of the replicas in normal operation.
    static func killLeaderAndRecover(_ simulation: Simulation, _ report: inout ScenarioReport) {
        let running = simulation.runningHonestReplicas
        if let settledView = running.filter({ !$0.isChangingView }).map(\.view).max() {
            let alone = running.filter { $0.targetView > settledView + 1 }
            report.check(alone.isEmpty, "replicas escalated alone beyond view \(settledView + 1): \(views(simulation))")
        }
        guard let leader = currentLeader(simulation) else {
            report.check(false, "no replica is in a view with a leader")
            return
        }
        simulation.crash(validator: leader, forMs: 10_000_000)
        let before = simulation.canonicalHeight
        let started = simulation.nowMs
        let resumed = simulation.run(until: { $0.canonicalHeight > before + 2 }, maximumSteps: 1_500)
        report.check(resumed, "no commit within 15 s after leader \(leader) crashed: \(views(simulation))")
        report.fact("leader \(leader) crashed, commits resumed after \((simulation.nowMs - started) / 1_000) s")
        simulation.run(until: { _ in false }, maximumSteps: 1_000)
        let after = simulation.runningHonestReplicas
        let settled = Set(after.map(\.view)).count == 1 && after.allSatisfy { !$0.isChangingView }
        report.check(settled, "live replicas are not in one view: \(views(simulation))")
    }

    static func views(_ simulation: Simulation) -> String {
        simulation.runningHonestReplicas.map { "\($0.localID):v\($0.view)\($0.isChangingView ? "->\($0.targetView)" : "")" }.joined(separator: " ")
    }

    /// Validator 4 is cut off for 20 s (it suspects the leader alone), then
    /// restarts from its log with that view-change target; the network
    /// heals, and then the leader crashes for good.
    @Sendable static func staleRestartThenLeaderCrash() -> ScenarioOutcome {
        var report = ScenarioReport("view-change-stale-restart")
        guard let simulation = PBFTScenarios.warmedUp(scenarioConfig(validators: 4, load: 20), &report) else { return report.outcome(nil) }
        simulation.partition([4])
        simulation.run(until: { _ in false }, maximumSteps: 2_000)
        simulation.crash(validator: 4, forMs: 1_000)
        simulation.partition(nil)
        simulation.run(until: { _ in false }, maximumSteps: 500)
        report.fact("before the crash: \(views(simulation))")
        killLeaderAndRecover(simulation, &report)
        return report.outcome(simulation)
    }

    /// Validators end up in different views (one cut off for 20 s, another
    /// for 8 s), then all four restart from their logs at once; then the
    /// leader crashes for good.
    @Sendable static func fullRestartThenLeaderCrash() -> ScenarioOutcome {
        var report = ScenarioReport("view-change-full-restart")
        guard let simulation = PBFTScenarios.warmedUp(scenarioConfig(validators: 4, load: 20), &report) else { return report.outcome(nil) }
        simulation.partition([4])
        simulation.run(until: { _ in false }, maximumSteps: 1_200)
        simulation.partition([3, 4])
        simulation.run(until: { _ in false }, maximumSteps: 800)
        simulation.partition(nil)
        for id: ValidatorID in [1, 2, 3, 4] { simulation.crash(validator: id, forMs: 500 + 300 * Int64(id.value)) }
        simulation.run(until: { _ in false }, maximumSteps: 1_000)
        report.fact("after the restart: \(views(simulation))")
        let height = simulation.canonicalHeight
        report.check(simulation.run(until: { $0.canonicalHeight > height }, maximumSteps: 6_000), "no commit after the full restart: \(views(simulation))")
        killLeaderAndRecover(simulation, &report)
        return report.outcome(simulation)
    }
}
