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
