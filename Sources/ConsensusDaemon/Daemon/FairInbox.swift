import ConsensusCore

/// The consensus driver's inbox: one bounded queue per validator peer and
/// one for this validator's own clients (ingestors, persisters, gateways).
///
/// Why: a validator with a valid key may send as fast as the link carries.
/// With one shared queue its messages would grow memory without bound and
/// sit in front of every honest peer's; here each peer's queue holds at
/// most `peerCapacity` messages (beyond that the newest is dropped and
/// counted: consensus retransmits what matters), and each turn takes at
/// most `perTurn` from every peer in rotation, so honest peers' votes are
/// never stuck behind a flood. Client inputs are not dropped (each one
/// carries an answer its client waits for); their clients are bounded by
/// their own flow control.
struct FairInbox<Input> {
    let peerCapacity: Int
    let perTurn: Int
    private var peers: [ValidatorID: [Input]] = [:]
    private var heads: [ValidatorID: Int] = [:]
    private var local: [Input] = []
    /// Messages dropped because their peer's queue was full, per peer.
    private(set) var dropped: [ValidatorID: Int] = [:]

    init(peerCapacity: Int, perTurn: Int) {
        precondition(peerCapacity >= 1 && perTurn >= 1, "an inbox needs room")
        self.peerCapacity = peerCapacity
        self.perTurn = perTurn
    }

    var isEmpty: Bool { local.isEmpty && peers.allSatisfy { $0.value.count == heads[$0.key, default: 0] } }

    /// Messages waiting from `peer`.
    func pending(from peer: ValidatorID) -> Int { (peers[peer]?.count ?? 0) - heads[peer, default: 0] }

    /// Queues a peer's message; false (and counted) when its queue is full.
    mutating func push(_ input: Input, from peer: ValidatorID) -> Bool {
        guard pending(from: peer) < peerCapacity else {
            dropped[peer, default: 0] += 1
            return false
        }
        peers[peer, default: []].append(input)
        return true
    }

    /// Queues a client input (never dropped).
    mutating func pushLocal(_ input: Input) { local.append(input) }

    /// One turn's inputs: every client input, then up to `perTurn` per
    /// peer, interleaved one from each peer in id order.
    mutating func takeTurn() -> [Input] {
        var out = local
        local.removeAll(keepingCapacity: true)
        let order = peers.keys.sorted()
        for _ in 0..<perTurn {
            var took = false
            for peer in order {
                let head = heads[peer, default: 0]
                guard let queue = peers[peer], head < queue.count else { continue }
                out.append(queue[head])
                heads[peer] = head + 1
                took = true
            }
            if !took { break }
        }
        // Compact queues that were read out (or mostly read), so memory follows what is pending.
        for peer in order {
            let head = heads[peer, default: 0]
            guard let queue = peers[peer], head > 0 else { continue }
            if head == queue.count {
                peers[peer] = []
                heads[peer] = 0
            } else if head >= 1_024 {
                peers[peer] = Array(queue[head...])
                heads[peer] = 0
            }
        }
        return out
    }
}
