import ConsensusCore
import ConsensusSimulation
import Testing

/// The seed's genesis unit tests (000_990b0d8d88624a21.txt, tests 1-4),
/// on the simulated clock: minutes pass in microseconds.
@Suite struct GenesisMessageFreshnessTests {
    /// Seed test 1 and the regression of test 8: a rebroadcast never carries
    /// a message older than the refresh interval, so a receiver whose genesis
    /// tolerance exceeds it never sees a stale attestation.
    @Test func staleRebroadcastCannotHappen() throws {
        let fixture = try GenesisFixture()
        var ceremony = fixture.ceremony(1)
        var receiver = fixture.ceremony(2)
        var broadcasts: [(at: Int64, ready: GenesisReady)] = []
        for readyMessage in ceremony.start(nowMs: 0).broadcastReadies { broadcasts.append((0, readyMessage)) }
        for now in stride(from: Int64(0), through: 5 * 60_000, by: 100) {
            for readyMessage in ceremony.tick(nowMs: now).broadcastReadies { broadcasts.append((now, readyMessage)) }
        }
        #expect(broadcasts.count > 10)
        for (at, readyMessage) in broadcasts {
            #expect(at - readyMessage.timestampMs < ceremony.config.refreshIntervalMs, "a \(at - readyMessage.timestampMs) ms old message was rebroadcast")
            #expect(receiver.check(readyMessage, nowMs: at) == nil)
            _ = receiver.receive(.ready(readyMessage), from: 1, nowMs: at)
        }
    }

    @Test func aRefreshYieldsANewHashAndTimestamp() throws {
        let fixture = try GenesisFixture()
        var ceremony = fixture.ceremony(1)
        let first = ceremony.refreshLocalReady(nowMs: 1_000)
        let second = ceremony.refreshLocalReady(nowMs: 11_000)
        #expect(first.hash(fixture.crypto) != second.hash(fixture.crypto))
        #expect(second.timestampMs == 11_000)
        #expect(first.nonce != second.nonce)
        #expect(ceremony.check(second, nowMs: 11_000) == nil, "the refreshed message is validly signed")
    }

    @Test func theRebroadcastAfterTheRefreshIntervalIsANewMessage() throws {
        let fixture = try GenesisFixture()
        var config = GenesisConfig()
        config.refreshIntervalMs = 10_000
        var ceremony = fixture.ceremony(1, config: config)
        let initial = try #require(ceremony.start(nowMs: 0).broadcastReadies.first)
        var later: [GenesisReady] = []
        for now in stride(from: Int64(100), through: 16_000, by: 100) { later += ceremony.tick(nowMs: now).broadcastReadies }
        let last = try #require(later.last)
        #expect(last.hash(fixture.crypto) != initial.hash(fixture.crypto))
        #expect(last.timestampMs > initial.timestampMs)
    }

    @Test func aRefreshIntervalNotWellBelowTheToleranceIsAConfigurationError() {
        var config = GenesisConfig()
        config.refreshIntervalMs = 30_000
        config.clockSkewToleranceMs = 5_000
        #expect(throws: GenesisConfigError.refreshTooSlow(refreshMs: 30_000, toleranceMs: 5_000)) { try config.validate() }
        #expect(throws: Never.self) { try GenesisConfig().validate() }
    }
}

/// Seed test 2: timestamp validation with a genesis-specific tolerance.
@Suite struct GenesisTimestampValidationTests {
    static func ceremony(toleranceMs: Int64) throws -> (GenesisFixture, GenesisCeremony) {
        let fixture = try GenesisFixture()
        var config = GenesisConfig()
        config.clockSkewToleranceMs = toleranceMs
        config.refreshIntervalMs = 0
        return (fixture, fixture.ceremony(1, config: config))
    }

    @Test func aMessageWithinTheToleranceIsAccepted() throws {
        let (fixture, ceremony) = try Self.ceremony(toleranceMs: 5_000)
        #expect(ceremony.check(fixture.ready(2, at: 0), nowMs: 3_000) == nil)
    }

    @Test func aMessageBeyondTheToleranceIsRejected() throws {
        let (fixture, ceremony) = try Self.ceremony(toleranceMs: 5_000)
        let problem = ceremony.check(fixture.ready(2, at: 0), nowMs: 7_000)
        #expect(problem?.contains("behind by 7000 ms") == true)
    }

    @Test func theGenesisToleranceAcceptsAMessageTwoMinutesOld() throws {
        let (fixture, ceremony) = try Self.ceremony(toleranceMs: 15 * 60_000)
        #expect(ceremony.check(fixture.ready(2, at: 0), nowMs: 120_000) == nil)
    }

    @Test func aMessageFromTheFutureBeyondTheToleranceIsRejected() throws {
        let (fixture, ceremony) = try Self.ceremony(toleranceMs: 5 * 60_000)
        #expect(ceremony.check(fixture.ready(2, at: 10 * 60_000), nowMs: 0)?.contains("ahead") == true)
    }

    @Test func aRejectedAttestationIsNotHeldAndItsReasonIsShown() throws {
        var (fixture, ceremony) = try Self.ceremony(toleranceMs: 5_000)
        _ = ceremony.receive(.ready(fixture.ready(2, at: 0)), from: 2, nowMs: 7_000)
        #expect(ceremony.status.attestationsHeld.isEmpty)
        #expect(ceremony.status.rejections[2]?.contains("genesis tolerance") == true)
    }

    @Test func aForgedSignatureAndForeignParametersAreRejected() throws {
        let (fixture, ceremony) = try Self.ceremony(toleranceMs: 5_000)
        let good = fixture.ready(2, at: 0)
        let forged = GenesisReady(parameters: good.parameters, validator: 2, timestampMs: 0, nonce: good.nonce, signature: Array(repeating: 7, count: 64))
        #expect(ceremony.check(forged, nowMs: 0) == "signature does not verify")
        let otherChain = GenesisParameters(chainID: "other", validatorSetHash: fixture.set.hash, configHash: fixture.parameters.configHash)
        let foreign = GenesisReady.make(parameters: otherChain, validator: 2, timestampMs: 0, nonce: good.nonce, signer: SimulatedSigner(validator: 2))
        #expect(ceremony.check(foreign, nowMs: 0)?.contains("chain id other") == true)
        let outsider = GenesisReady.make(parameters: fixture.parameters, validator: 9, timestampMs: 0, nonce: good.nonce, signer: SimulatedSigner(validator: 9))
        #expect(ceremony.check(outsider, nowMs: 0)?.contains("not in the set") == true)
    }
}

/// Seed test 3: quorum calculation and achievement.
@Suite struct GenesisQuorumTests {
    /// 5 validators need 4 attestations, not the seed's 3: with f = 1, two
    /// groups of 3 out of 5 may overlap in one validator only, and that one
    /// may be Byzantine; ceil((N+f+1)/2) = 4 makes every two quorums share an
    /// honest validator.
    @Test func fiveValidatorsRequireFour() throws {
        #expect(try GenesisFixture(validators: 5).set.quorum.size == 4)
    }

    @Test func anExplicitQuorumAtOrAboveTheMinimumIsUsed() throws {
        #expect(try GenesisFixture(validators: 5, quorumOverride: 5).set.quorum.size == 5)
        #expect(throws: ValidatorSetError.quorum(.belowSafeMinimum(requested: 3, safeMinimum: 4, validatorCount: 5))) {
            try GenesisFixture(validators: 5, quorumOverride: 3)
        }
    }

    @Test func exactlyAQuorumOfAttestationsProducesACertificate() throws {
        let fixture = try GenesisFixture(validators: 5)
        var aggregator = fixture.ceremony(1)
        var actions = aggregator.start(nowMs: 0)
        for id: ValidatorID in [2, 3, 4] { actions += aggregator.receive(.ready(fixture.ready(id, at: 0)), from: id, nowMs: 10) }
        #expect(actions.activatedCertificate == nil, "the aggregator waits the grace period for the rest")
        actions += aggregator.tick(nowMs: 10 + aggregator.config.aggregationGraceMs)
        let certificate = try #require(actions.activatedCertificate)
        #expect(certificate.validators == [1, 2, 3, 4])
        #expect(certificate.verify(parameters: fixture.parameters, validatorSet: fixture.set, crypto: fixture.crypto) == nil)
        #expect(actions.contains(.persist(certificate)))
        let persistIndex = actions.firstIndex(of: .persist(certificate))!
        let broadcastIndex = actions.firstIndex(of: .broadcast(.certificate(certificate)))!
        #expect(persistIndex < broadcastIndex, "persist before send")
    }

    @Test func belowQuorumNoCertificateIsProduced() throws {
        let fixture = try GenesisFixture(validators: 5)
        var aggregator = fixture.ceremony(1)
        var actions = aggregator.start(nowMs: 0)
        for id: ValidatorID in [2, 3] { actions += aggregator.receive(.ready(fixture.ready(id, at: 0)), from: id, nowMs: 10) }
        for now in stride(from: Int64(100), through: 120_000, by: 100) { actions += aggregator.tick(nowMs: now) }
        #expect(actions.activatedCertificate == nil)
        #expect(aggregator.status.missing == [4, 5])
    }

    @Test func aCertificateBelowQuorumOrWithAForgedAttestationIsRefused() throws {
        let fixture = try GenesisFixture(validators: 4)
        let signer = SimulatedSigner(validator: 1)
        let three = [fixture.ready(1, at: 0), fixture.ready(2, at: 0), fixture.ready(3, at: 0)]
        func certificate(_ attestations: [GenesisReady]) -> GenesisCertificate {
            let unsigned = GenesisCertificate(parameters: fixture.parameters, round: 0, aggregator: 1, attestations: attestations, signature: [])
            return GenesisCertificate(parameters: fixture.parameters, round: 0, aggregator: 1, attestations: attestations, signature: signer.sign(unsigned.signBytes))
        }
        let verify = { (c: GenesisCertificate) in c.verify(parameters: fixture.parameters, validatorSet: fixture.set, crypto: fixture.crypto) }
        #expect(verify(certificate(three)) == nil)
        #expect(verify(certificate(Array(three.prefix(2)))) == .belowQuorum(count: 2, quorum: 3))
        #expect(verify(certificate([three[0], three[1], three[1]])) == .duplicateAttestation(2))
        let forged = GenesisReady(parameters: fixture.parameters, validator: 3, timestampMs: 0, nonce: three[2].nonce, signature: three[1].signature)
        #expect(verify(certificate([three[0], three[1], forged])) == .badAttestationSignature(3))
        let tampered = certificate(three)
        let resigned = GenesisCertificate(parameters: fixture.parameters, round: 1, aggregator: 1, attestations: three, signature: tampered.signature)
        #expect(verify(resigned) == .badAggregatorSignature(1))
    }
}

/// Seed test 4: rebroadcast backoff.
@Suite struct GenesisRebroadcastBackoffTests {
    static func intervals(count: Int, refreshMs: Int64 = 0) throws -> [Int64] {
        let fixture = try GenesisFixture()
        var config = GenesisConfig()
        config.refreshIntervalMs = refreshMs
        var ceremony = fixture.ceremony(1, config: config)
        var times: [Int64] = []
        if !ceremony.start(nowMs: 0).broadcastReadies.isEmpty { times.append(0) }
        var now: Int64 = 0
        while times.count < count + 1 {
            now += 100
            if !ceremony.tick(nowMs: now).broadcastReadies.isEmpty { times.append(now) }
        }
        return zip(times.dropFirst(), times).map { $0 - $1 }
    }

    @Test func theFirstRebroadcastComesAfterTheBaseInterval() throws {
        #expect(try Self.intervals(count: 1) == [5_000])
    }

    @Test func intervalsDoubleUpToTheSixtySecondCapWhileTheMessageIsUnchanged() throws {
        #expect(try Self.intervals(count: 7) == [5_000, 10_000, 20_000, 40_000, 60_000, 60_000, 60_000])
    }

    @Test func aNewMessageResetsTheBackoffToTheBase() throws {
        let fixture = try GenesisFixture()
        var config = GenesisConfig()
        config.refreshIntervalMs = 0
        var ceremony = fixture.ceremony(1, config: config)
        _ = ceremony.start(nowMs: 0)
        for now in stride(from: Int64(100), through: 200_000, by: 100) { _ = ceremony.tick(nowMs: now) }
        #expect(ceremony.currentRebroadcastIntervalMs == 60_000)
        _ = ceremony.refreshLocalReady(nowMs: 200_000)
        #expect(ceremony.currentRebroadcastIntervalMs == 5_000)
    }

    @Test func withTheDefaultRefreshEveryRefreshResetsTheBackoff() throws {
        // 5 s after a new message, then 10 s; by then it is 15 s old, so a
        // new one goes out and the cycle restarts.
        #expect(try Self.intervals(count: 6, refreshMs: 10_000) == [5_000, 10_000, 5_000, 10_000, 5_000, 10_000])
    }
}
