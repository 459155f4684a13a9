import ConsensusCore
import Testing
@testable import ConsensusDaemon

/// The driver's inbox under a flooding peer (issue 11, point 4).
@Suite struct FairInboxTests {
    @Test func aFloodingPeerFillsOnlyItsOwnQueueAndTheRestIsCounted() {
        var inbox = FairInbox<Int>(peerCapacity: 100, perTurn: 10)
        var accepted = 0
        for index in 0..<1_000 where inbox.push(index, from: 4) { accepted += 1 }
        #expect(accepted == 100)
        #expect(inbox.dropped[4] == 900)
        let honestQueued = inbox.push(-1, from: 2)
        #expect(honestQueued, "another peer's queue has room")
        #expect(inbox.dropped[2] == nil)
    }

    @Test func eachTurnInterleavesPeersSoAFloodCannotStarveAnHonestPeer() {
        var inbox = FairInbox<String>(peerCapacity: 1_000, perTurn: 3)
        for index in 0..<500 { _ = inbox.push("flood-\(index)", from: 4) }
        _ = inbox.push("honest-vote", from: 2)
        inbox.pushLocal("client-batch")
        let turn = inbox.takeTurn()
        #expect(turn.prefix(3) == ["client-batch", "honest-vote", "flood-0"])
        #expect(turn.count == 1 + 1 + 3)
        #expect(inbox.pending(from: 4) == 497)
        var drained = 5
        while !inbox.isEmpty { drained += inbox.takeTurn().count }
        #expect(drained == 502, "nothing queued is lost")
    }
}
