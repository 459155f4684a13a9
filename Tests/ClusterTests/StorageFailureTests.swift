import Foundation
import Testing

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
