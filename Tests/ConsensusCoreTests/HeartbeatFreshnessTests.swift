import ConsensusCore
import ConsensusSimulation
import Testing

/// Point 6: a heartbeat counts as the leader's activity only if it is later
/// than the last one counted. Before the fix a peer replaying the leader's
/// old heartbeat kept a dead leader in office indefinitely.
struct HeartbeatFreshnessTests {
    static func heartbeat(_ f: PBFTFixture, sentAtMs: Int64) -> ConsensusMessage {
        .heartbeat(LeaderHeartbeat.make(view: 0, leader: 1, committedHeight: 0, sentAtMs: sentAtMs, signer: SimulatedSigner(validator: 1)))
    }

    @Test func aReplayedHeartbeatDoesNotKeepADeadLeaderInOffice() throws {
        let f = try PBFTFixture()
        var replica = try PipelineWindowTests.activeReplica(f)
        let old = Self.heartbeat(f, sentAtMs: 2_500)
        _ = replica.step(.receive(old, from: 1), nowMs: 2_500)
        // The leader dies; validator 3 replays its heartbeat every second.
        for now in stride(from: Int64(3_500), through: 9_500, by: 1_000) {
            _ = replica.step(.receive(old, from: 3), nowMs: now)
            _ = replica.step(.tick, nowMs: now)
        }
        #expect(replica.isChangingView, "a replayed heartbeat masked the dead leader")
    }

    @Test func freshHeartbeatsKeepALiveLeaderInOffice() throws {
        let f = try PBFTFixture()
        var replica = try PipelineWindowTests.activeReplica(f)
        for now in stride(from: Int64(2_500), through: 9_500, by: 1_000) {
            _ = replica.step(.receive(Self.heartbeat(f, sentAtMs: now), from: 1), nowMs: now)
            _ = replica.step(.tick, nowMs: now)
        }
        #expect(!replica.isChangingView)
    }
}
