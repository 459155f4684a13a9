import Foundation
import Testing

extension ClusterSuites {
    /// One validator runs the test-only `byzantine-validator` over real
    /// mutual-TLS links: every attack it sends is validly signed with its
    /// own key. The honest validators must stay up, agree and keep
    /// committing (issue 11's multi-process test).
    @Suite(.serialized) struct ByzantineValidatorTests {
        @Test func aByzantineLeaderSendingExtremeTimestampsAndSwappedPayloadsNeitherStopsNorSplitsTheHonestValidators() throws {
            let cluster = try TestCluster(size: 4)
            defer { cluster.stopAll() }
            // Validator 1 leads view 0 and every fourth view after it.
            cluster.makeByzantine(1, ["--misbehave", "extreme-timestamp", "payload-swap"])
            try cluster.startAll()
            #expect(cluster.waitUntil(seconds: 60) { (1...4).allSatisfy { cluster.get($0, "/genesis")?.0 == 200 } }, "logs:\n\(cluster.logsOnFailure)")

            let result = try cluster.load(rate: 40, seconds: 10)
            #expect(result.submitted > 0)
            #expect(result.committed == result.submitted, "every event must commit despite the Byzantine leader:\n\(result.output)")

            // The attacks happened (not only "nothing broke").
            let attacker = (try? String(contentsOfFile: "\(cluster.directory)/consensusd-1.log", encoding: .utf8)) ?? ""
            #expect(attacker.contains("byzantine-validator sent: extreme-timestamp proposal"))
            #expect(attacker.contains("byzantine-validator sent: payload-swap proposal"))

            // Every honest validator is up and refused what it was sent.
            #expect(cluster.running == [1, 2, 3, 4])
            for i in 2...4 {
                #expect(cluster.metric(i, #"cybermesh_consensus_peer_refusals_total{reason="refused_proposal"}"#) > 0, "validator \(i)")
            }
            // They agree: the same block hash and state root at every height.
            let height = (2...4).map { cluster.height($0) }.min() ?? 0
            #expect(height > 0)
            let chains = (1...4).map { cluster.chain($0, to: height) }
            #expect(chains.allSatisfy { $0 == chains[1] && !$0.contains("missing") }, "chains differ below height \(height)")
        }
    }
}

extension ClusterSuites {
    /// A validator whose disk fails mid-run (writes past a size limit fail,
    /// test-only `byzantine-validator --fail-writes-beyond`).
    @Suite(.serialized) struct StorageFailureTests {
        @Test func aValidatorWhoseDiskFailsSendsNothingMoreAndSaysSoWhileTheOthersCommit() throws {
            let cluster = try TestCluster(size: 4)
            defer { cluster.stopAll() }
            cluster.makeByzantine(4, ["--fail-writes-beyond", "131072"])
            try cluster.startAll()
            #expect(cluster.waitUntil(seconds: 60) { (1...4).allSatisfy { cluster.get($0, "/genesis")?.0 == 200 } }, "logs:\n\(cluster.logsOnFailure)")
            // Load until validator 4's block store or log passes the limit.
            var failure: String?
            for _ in 0..<6 where failure == nil {
                let result = try cluster.load(rate: 60, seconds: 5)
                #expect(result.committed == result.submitted, "\(result.output)")
                failure = cluster.status(4)?["storage_failure"] as? String
            }
            #expect(failure?.contains("failed") == true, "validator 4 never reported its failed disk; logs:\n\(cluster.logsOnFailure)")
            #expect(cluster.metric(4, "cybermesh_storage_failures_total") == 1)
            let frozen = cluster.height(4)
            // Let what it queued before the failure drain, then watch.
            let drained = cluster.height(1) + 3
            _ = try cluster.load(rate: 40, seconds: 2)
            #expect(cluster.waitUntil(seconds: 30) { cluster.height(1) >= drained })
            let seen = { (1...3).map { i in
                ((cluster.status(i)?["peers"] as? [[String: Any]])?.first { $0["id"] as? Int == 4 })?["last_seen_ms"] as? Int ?? -1
            } }
            let before = seen()
            let after = try cluster.load(rate: 40, seconds: 5)
            #expect(after.submitted > 0 && after.committed == after.submitted, "the other three commit without it:\n\(after.output)")
            #expect(cluster.height(1) > drained)
            #expect(cluster.height(4) == frozen, "validator 4 moved on after its storage failed")
            #expect(seen() == before, "validator 4 sent consensus messages after its storage failed")
            #expect(cluster.running.contains(4), "it stays up to say what happened")
        }
    }
}
