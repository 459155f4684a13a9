import ConsensusCore

/// The seed's genesis integration and regression tests (5-11) as simulations.
enum GenesisScenarios {
    static func certificates(_ simulation: Simulation, _ ids: [ValidatorID]) -> [GenesisCertificate?] {
        ids.map { simulation.replica($0)?.genesisCertificate }
    }

    static func allHaveCertificate(_ ids: [ValidatorID]) -> (Simulation) -> Bool {
        { simulation in certificates(simulation, ids).allSatisfy { $0 != nil } }
    }

    static func hashes(_ simulation: Simulation, _ ids: [ValidatorID]) -> Set<Hash32> {
        Set(certificates(simulation, ids).compactMap { $0?.hash(SimulatedCrypto()) })
    }

    /// Test 5: five validators start together; all five attest and every
    /// validator holds the identical certificate.
    @Sendable static func happyPath() -> ScenarioOutcome {
        var report = ScenarioReport("genesis-happy-path")
        guard let simulation = makeSimulation(scenarioConfig(validators: 5), &report) else { return report.outcome(nil) }
        let ids: [ValidatorID] = [1, 2, 3, 4, 5]
        let done = simulation.run(until: allHaveCertificate(ids), maximumSteps: 3_000)
        report.check(done, "not every validator completed genesis within 30 s")
        let certificate = simulation.replica(1)?.genesisCertificate
        report.check(certificate?.attestations.count == 5, "the certificate holds \(certificate?.attestations.count ?? 0) attestations, expected 5")
        report.check(hashes(simulation, ids).count == 1, "validators hold different certificates")
        report.fact("genesis after \(simulation.nowMs) ms simulated")
        return report.outcome(simulation)
    }

    /// Test 6: four start; the fifth joins 2 minutes later and adopts the
    /// same certificate (of 4 attestations) from its peers.
    @Sendable static func delayedValidator() -> ScenarioOutcome {
        var report = ScenarioReport("genesis-delayed-validator")
        var config = scenarioConfig(validators: 5)
        config.delayedStartsMs = [5: 120_000]
        guard let simulation = makeSimulation(config, &report) else { return report.outcome(nil) }
        let first = simulation.run(until: allHaveCertificate([1, 2, 3, 4]), maximumSteps: 3_000)
        report.check(first, "the first four did not complete genesis")
        let certificate = simulation.replica(1)?.genesisCertificate
        report.check(certificate?.attestations.count == 4, "certificate of \(certificate?.attestations.count ?? 0), expected 4")
        let joined = simulation.run(until: allHaveCertificate([1, 2, 3, 4, 5]), maximumSteps: 13_000)
        report.check(joined, "the late validator never got the certificate")
        report.check(hashes(simulation, [1, 2, 3, 4, 5]).count == 1, "the late validator holds another certificate")
        report.fact("late validator certified at \(simulation.nowMs) ms")
        return report.outcome(simulation)
    }

    /// Test 7: clocks off by 0, +2, -3, +1, -2 s: genesis with all five.
    @Sendable static func clockSkewAcceptable() -> ScenarioOutcome {
        var report = ScenarioReport("genesis-clock-skew-acceptable")
        var config = scenarioConfig(validators: 5)
        config.clockSkewsMs = [0, 2_000, -3_000, 1_000, -2_000]
        guard let simulation = makeSimulation(config, &report) else { return report.outcome(nil) }
        let ids: [ValidatorID] = [1, 2, 3, 4, 5]
        report.check(simulation.run(until: allHaveCertificate(ids), maximumSteps: 3_000), "genesis did not complete")
        report.check(simulation.replica(1)?.genesisCertificate?.attestations.count == 5, "not all five attestations were accepted")
        report.check(hashes(simulation, ids).count == 1, "validators hold different certificates")
        return report.outcome(simulation)
    }

    /// Test 7b: validator 5's clock is 10 minutes ahead and the genesis
    /// tolerance is 5 minutes: a certificate of 4 without it, which it then
    /// adopts (a certificate is not judged by the local clock).
    @Sendable static func clockSkewExcessive() -> ScenarioOutcome {
        var report = ScenarioReport("genesis-clock-skew-excessive")
        var config = scenarioConfig(validators: 5)
        config.clockSkewsMs = [0, 0, 0, 0, 600_000]
        config.genesis.clockSkewToleranceMs = 300_000
        guard let simulation = makeSimulation(config, &report) else { return report.outcome(nil) }
        report.check(simulation.run(until: allHaveCertificate([1, 2, 3, 4]), maximumSteps: 3_000), "genesis did not complete")
        let certificate = simulation.replica(1)?.genesisCertificate
        report.check(certificate?.validators == [1, 2, 3, 4], "certificate validators \(certificate?.validators.map(\.value) ?? []), expected 1-4")
        let rejection = simulation.replica(1)?.genesisStatus.rejections[5] ?? ""
        report.check(rejection.contains("ahead"), "validator 5's rejection is not explained: \"\(rejection)\"")
        report.check(simulation.run(until: allHaveCertificate([5]), maximumSteps: 2_000), "validator 5 did not adopt the certificate")
        report.fact("rejection shown: \(rejection)")
        return report.outcome(simulation)
    }

    /// Test 8 (the regression): a validator alone for 2 minutes rebroadcasts
    /// again and again; receivers with a tolerance of 15 s (the seed's fixed
    /// setting) accept every message, because each is at most the refresh
    /// interval old, and genesis completes the moment the others arrive.
    @Sendable static func staleRebroadcast() -> ScenarioOutcome {
        var report = ScenarioReport("genesis-stale-rebroadcast")
        var config = scenarioConfig(validators: 5)
        config.genesis.clockSkewToleranceMs = 15_000
        config.genesis.refreshIntervalMs = 5_000
        config.delayedStartsMs = [2: 120_000, 3: 120_000, 4: 120_000, 5: 120_000]
        guard let simulation = makeSimulation(config, &report) else { return report.outcome(nil) }
        let done = simulation.run(until: allHaveCertificate([1, 2, 3, 4, 5]), maximumSteps: 14_000)
        report.check(done, "genesis did not complete after the others started")
        let rejections = (2...5).compactMap { simulation.replica(ValidatorID(UInt32($0)))?.genesisStatus.rejections[1] }
        report.check(rejections.isEmpty, "validator 1's rebroadcasts were refused: \(rejections)")
        report.check(simulation.replica(2)?.genesisCertificate?.validators.contains(1) == true, "validator 1's attestation is not in the certificate")
        report.fact("validator 1 broadcast \(simulation.replica(1)?.genesisBroadcasts.count ?? 0) attestations while alone")
        return report.outcome(simulation)
    }

    /// Test 9: validator 1 (the view-0 aggregator) crash-loops: for a
    /// minute it never stays up more than 5 ms, then 3 s down. Aggregation
    /// fails over to validator 2, genesis completes without it, and once it
    /// stays up it adopts the certificate and commits with the others.
    @Sendable static func aggregatorCrashLoop() -> ScenarioOutcome {
        var report = ScenarioReport("genesis-aggregator-crash-loop")
        var config = scenarioConfig(validators: 5)
        config.stepMs = 5
        config.delayedStartsMs = [1: 100]
        guard let simulation = makeSimulation(config, &report) else { return report.outcome(nil) }
        var upSince: Int64?
        var restarts = 0
        simulation.afterStep = { sim in
            guard sim.isUp(1) else {
                upSince = nil
                return
            }
            if upSince == nil {
                upSince = sim.nowMs
                restarts += 1
            }
            if sim.nowMs < 60_000, let since = upSince, sim.nowMs - since >= 5 { sim.crash(validator: 1, forMs: 3_000) }
        }
        let others: [ValidatorID] = [2, 3, 4, 5]
        report.check(simulation.run(until: allHaveCertificate(others), maximumSteps: 12_000), "genesis did not complete without the aggregator")
        let certificate = simulation.replica(2)?.genesisCertificate
        report.check(certificate != nil && certificate!.aggregator != 1, "the certificate was not aggregated by a successor")
        report.check(simulation.run(until: allHaveCertificate([1]), maximumSteps: 20_000), "validator 1 never rejoined")
        let rejoinedMs = simulation.nowMs
        simulation.afterStep = nil
        for _ in 0..<20 { simulation.submitNew() }
        simulation.stopSubmitting()
        report.check(simulation.run(until: { $0.everythingCommitted }, maximumSteps: 20_000), "transactions were not committed after it rejoined")
        report.fact("\(restarts) starts of validator 1, certified at \(rejoinedMs) ms; aggregator \(certificate?.aggregator.value ?? 0), round \(certificate?.round ?? 0)")
        return report.outcome(simulation)
    }

    /// Test 10, fixed: transactions submitted before and during genesis are
    /// committed right after it; the height leaves 0 and the view stays low.
    @Sendable static func noStallAtHeightZero() -> ScenarioOutcome {
        var report = ScenarioReport("genesis-no-stall-at-height-zero")
        var config = scenarioConfig(validators: 5, load: 20)
        config.delayedStartsMs = [4: 2_000, 5: 4_000]
        guard let simulation = makeSimulation(config, &report) else { return report.outcome(nil) }
        simulation.run(until: { $0.nowMs >= 30_000 }, maximumSteps: 4_000)
        simulation.stopSubmitting()
        report.check(simulation.run(until: { $0.everythingCommitted }, maximumSteps: 6_000), "submissions did not all commit")
        report.check(simulation.canonicalHeight > 0, "height stayed 0")
        let views = simulation.runningHonestReplicas.map(\.view)
        report.check(views.allSatisfy { $0 < 5 }, "views climbed to \(views)")
        report.fact("height \(simulation.canonicalHeight), \(simulation.submittedCount) transactions, views \(views)")
        return report.outcome(simulation)
    }

    /// Test 11: a validator alone for 5 simulated minutes sends fewer than 100
    /// attestation broadcasts and under 100 KB.
    @Sendable static func rebroadcastBandwidth() -> ScenarioOutcome {
        var report = ScenarioReport("genesis-rebroadcast-bandwidth")
        var config = scenarioConfig(validators: 5)
        config.delayedStartsMs = [2: 3_600_000, 3: 3_600_000, 4: 3_600_000, 5: 3_600_000]
        guard let simulation = makeSimulation(config, &report) else { return report.outcome(nil) }
        simulation.run(until: { $0.nowMs >= 300_000 }, maximumSteps: 40_000)
        let sent = simulation.replica(1)?.genesisBroadcasts ?? (count: 0, bytes: 0)
        report.check(sent.count < 100, "\(sent.count) broadcasts in 5 minutes")
        report.check(sent.bytes < 100 * 1024, "\(sent.bytes) bytes in 5 minutes")
        report.fact("\(sent.count) broadcasts, \(sent.bytes) bytes in 5 simulated minutes")
        return report.outcome(simulation)
    }
}
