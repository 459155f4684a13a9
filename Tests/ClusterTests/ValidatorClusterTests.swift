import Foundation
import Glibc
import Testing
import Wire

extension ClusterSuites {
    /// Multi-process tests of the validator daemon: real `consensusd`
    /// processes on 127.0.0.1 with mutual TLS, real disks in temporary
    /// directories and `ingestor load` as the client.
    @Suite(.serialized) struct ValidatorClusterTests {
        @Test func fiveValidatorsReachGenesisWithOneIdenticalCertificateAndCommitSubmittedEvents() throws {
            let cluster = try TestCluster(size: 5)
            defer { cluster.stopAll() }
            try cluster.startAll()
            let complete = cluster.waitUntil(seconds: 60) {
                (1...5).allSatisfy { i in ((cluster.status(i)?["genesis"] as? [String: Any])?["phase"] as? String) == "complete" }
            }
            #expect(complete, "genesis did not complete; logs:\n\(cluster.logsOnFailure)")
            let certificates = (1...5).compactMap { cluster.get($0, "/genesis") }
            #expect(certificates.count == 5)
            let hashes = Set(certificates.map { $0.1["hash"] as? String ?? "" })
            #expect(hashes.count == 1 && !hashes.contains(""))
            for (status, certificate) in certificates {
                #expect(status == 200)
                #expect((certificate["attestations"] as? [Any])?.count == 5)
            }
            let result = try cluster.load(rate: 50, seconds: 4)
            #expect(result.submitted > 0)
            #expect(result.committed == result.submitted, "\(result.output)")
            #expect(cluster.height(1) > 0)
        }

        @Test func aKilledValidatorCatchesUpAndMatchesEveryBlockHashAndStateRoot() throws {
            let cluster = try TestCluster(size: 4)
            defer { cluster.stopAll() }
            try cluster.startAll()
            #expect(cluster.waitUntil(seconds: 60) { cluster.get(1, "/genesis")?.0 == 200 })
            cluster.stop(4, signal: SIGKILL)
            let whileDown = try cluster.load(rate: 50, seconds: 4)
            #expect(whileDown.committed == whileDown.submitted, "the other three must keep committing:\n\(whileDown.output)")
            let target = cluster.height(1)
            #expect(target > 0)
            try cluster.start(4)
            #expect(cluster.waitUntil(seconds: 60) { cluster.height(4) >= target }, "validator 4 did not catch up; logs:\n\(cluster.logsOnFailure)")
            let reference = cluster.chain(1, to: target)
            #expect(!reference.contains("missing"))
            #expect(cluster.chain(4, to: target) == reference)
            #expect(cluster.chain(2, to: target) == reference)
        }

        @Test func killingTheLeaderCausesAViewChangeAndCommitsResume() throws {
            let cluster = try TestCluster(size: 4)
            defer { cluster.stopAll() }
            try cluster.startAll()
            #expect(cluster.waitUntil(seconds: 60) { cluster.get(2, "/genesis")?.0 == 200 })
            let leader = cluster.status(2)?["leader"] as? Int ?? 0
            #expect((1...4).contains(leader))
            cluster.stop(leader, signal: SIGKILL)
            let survivor = leader == 1 ? 2 : 1
            let result = try cluster.load(rate: 40, seconds: 10)
            #expect(result.committed == result.submitted, "commits must resume under a new leader:\n\(result.output)")
            let status = cluster.status(survivor) ?? [:]
            #expect((status["view"] as? Int ?? 0) > 0)
            #expect((status["leader"] as? Int ?? leader) != leader)
        }

        @Test func aRestartedClusterKeepsItsGenesisCertificateAndContinuesItsHeights() throws {
            let cluster = try TestCluster(size: 4)
            defer { cluster.stopAll() }
            try cluster.startAll()
            #expect(cluster.waitUntil(seconds: 60) { (1...4).allSatisfy { cluster.get($0, "/genesis")?.0 == 200 } })
            let genesis = cluster.get(1, "/genesis")?.1["hash"] as? String
            _ = try cluster.load(rate: 50, seconds: 3)
            let before = cluster.height(1)
            #expect(before > 0)
            cluster.stopAll()
            try cluster.startAll()
            #expect(cluster.waitUntil(seconds: 60) { (1...4).allSatisfy { cluster.height($0) >= before } })
            for i in 1...4 {
                #expect(cluster.get(i, "/genesis")?.1["hash"] as? String == genesis)
            }
            let log = (try? String(contentsOfFile: "\(cluster.directory)/consensusd-1.log", encoding: .utf8)) ?? ""
            #expect(log.contains("\"genesis_restored\":\"true\""))
            let after = try cluster.load(rate: 50, seconds: 3)
            #expect(after.committed == after.submitted)
            #expect(cluster.height(1) > before)
        }

        @Test func aLateValidatorWithASkewedClockJoinsAndAdoptsTheCertificate() throws {
            let cluster = try TestCluster(size: 4)
            defer { cluster.stopAll() }
            // Validator 4 runs 50 s ahead, within a 60 s genesis tolerance.
            for i in 1...4 {
                cluster.configure(i, ["CONSENSUS_GENESIS_CLOCK_SKEW_TOLERANCE": "60s", "GENESIS_READY_REFRESH_INTERVAL": "5s", "CONSENSUS_CLOCK_SKEW_TOLERANCE": "120s"])
            }
            cluster.makeByzantine(4, ["--clock-offset-ms", "50000"])
            for i in 1...3 { try cluster.start(i) }
            #expect(cluster.waitUntil(seconds: 60) { cluster.get(1, "/genesis")?.0 == 200 }, "three of four are a quorum")
            let genesis = cluster.get(1, "/genesis")?.1["hash"] as? String
            _ = try cluster.load(rate: 30, seconds: 2)
            try cluster.start(4)
            #expect(cluster.waitUntil(seconds: 60) { cluster.get(4, "/genesis")?.1["hash"] as? String == genesis }, "logs:\n\(cluster.logsOnFailure)")
            #expect(cluster.waitUntil(seconds: 60) { cluster.height(4) >= cluster.height(1) && cluster.height(1) > 0 })
        }

        @Test func aValidatorThatDropsEverySubmissionCannotKeepAnEventOutOfTheChain() throws {
            let cluster = try TestCluster(size: 4)
            defer { cluster.stopAll() }
            cluster.makeByzantine(1, ["--drop-submissions"])
            try cluster.startAll()
            #expect(cluster.waitUntil(seconds: 60) { (1...4).allSatisfy { cluster.get($0, "/genesis")?.0 == 200 } })
            let result = try cluster.load(rate: 40, seconds: 8)
            #expect(result.submitted > 0)
            #expect(result.committed == result.submitted, "every event must commit although validator 1 (the first leader) drops them:\n\(result.output)")
            let dropper = cluster.status(1)?["mempool"] as? [String: Any]
            #expect(dropper?["admitted"] as? Int == 0)
        }
    }
}
