/// Certified execution results: every block carries the state root and
/// outcomes hash of an earlier height, and a replica votes only for results
/// it computed itself. One whose own results differ from what a quorum
/// certified has diverged: it stops voting, proposing and executing, says so
/// (`.diverged`, `divergence`), and recovers by installing the cluster's
/// next stable snapshot above its height.
extension Replica {
    /// A replica's execution that disagrees with a quorum's certificate.
    public struct Divergence: Hashable, Sendable, CustomStringConvertible {
        /// The certified block or checkpoint height that exposed it.
        public let detectedAt: UInt64
        /// The height whose results differ.
        public let height: UInt64
        public let certifiedRoot: Hash32
        /// This replica's root at `height` (nil: it no longer holds it).
        public let ownRoot: Hash32?
        /// Outcome hashes, when a block header certified them (a checkpoint certifies the root only).
        public let certifiedOutcomes: Hash32?
        public let ownOutcomes: Hash32?

        init(detectedAt: UInt64, certified: ExecutionResults, own: ExecutionResults?) {
            self.detectedAt = detectedAt
            height = certified.height
            certifiedRoot = certified.stateRoot
            ownRoot = own?.stateRoot
            certifiedOutcomes = certified.outcomesHash
            ownOutcomes = own?.outcomesHash
        }

        init(checkpointAt height: UInt64, certifiedRoot: Hash32, ownRoot: Hash32) {
            detectedAt = height
            self.height = height
            self.certifiedRoot = certifiedRoot
            self.ownRoot = ownRoot
            certifiedOutcomes = nil
            ownOutcomes = nil
        }

        public var description: String {
            var text = "at height \(height) a quorum certified root \(certifiedRoot.short), this replica has \(ownRoot?.short ?? "none")"
            if let certifiedOutcomes {
                text += "; outcomes \(certifiedOutcomes.short) certified, \(ownOutcomes?.short ?? "none") here"
            }
            return text + " (found at height \(detectedAt))"
        }
    }

    enum ResultsCheck: Equatable {
        case matches
        /// This replica has not executed the results' height yet.
        case notExecutedYet
        case differs(String)
    }

    /// This replica's results for the height block `height` must carry.
    func ownResults(certifiedBy height: UInt64) -> ExecutionResults? {
        ledger.results(at: ExecutionResults.height(certifiedBy: height, window: config.windowSize), currentRoot: stateRoot)
    }

    /// Whether `block` carries the results this replica computed.
    func resultsCheck(_ block: Block) -> ResultsCheck {
        let expected = ExecutionResults.height(certifiedBy: block.height, window: config.windowSize)
        guard block.results.height == expected else {
            return .differs("it certifies the results of height \(block.results.height), not \(expected) (window \(config.windowSize))")
        }
        guard expected <= committedHeight else { return .notExecutedYet }
        guard let own = ledger.results(at: expected, currentRoot: stateRoot) else {
            return .differs("this replica no longer holds the results of height \(expected)")
        }
        guard own == block.results else { return .differs("it certifies \(block.results), this replica computed \(own)") }
        return .matches
    }

    /// Executes a block a quorum committed, unless the results it carries
    /// show this replica's state is not the quorum's: then the replica
    /// halts (a replica never goes on executing or voting on a diverged
    /// state). Returns whether it executed.
    mutating func executeIfConsistent(_ committed: CommittedBlock) -> Bool {
        guard divergence == nil else { return false }
        switch resultsCheck(committed.block) {
        case .matches:
            execute(committed)
            return true
        case .notExecutedYet:
            // Impossible for the next height (its results height is lower).
            return false
        case .differs:
            diverge(divergence(from: committed))
            return false
        }
    }

    /// What a certified block whose results this replica does not share says.
    func divergence(from committed: CommittedBlock) -> Divergence {
        let expected = ExecutionResults.height(certifiedBy: committed.height, window: config.windowSize)
        return Divergence(detectedAt: committed.height, certified: committed.block.results, own: ledger.results(at: expected, currentRoot: stateRoot))
    }

    /// Stops voting and executing, and starts asking for a snapshot.
    mutating func diverge(_ found: Divergence) {
        guard divergence == nil else { return }
        divergence = found
        statistics.divergences += 1
        output.commits.append(.diverged(found))
        lastRecoveryRequestMs = nil
        requestRecoverySnapshot()
    }

    /// A diverged replica asks a peer for its stable snapshot every request
    /// interval, a different peer each time; it installs the first one above
    /// its height (the cluster's next checkpoint, at most an interval away).
    mutating func requestRecoverySnapshot() {
        // While a transfer runs, other peers are still asked: a slow one
        // cannot hold the recovery (a newer offer replaces it).
        guard divergence != nil else { return }
        if let last = lastRecoveryRequestMs, nowMs - last < config.blockRequestIntervalMs { return }
        let preferred = lastRecoveryPeer.map(nextValidator(after:)) ?? nextValidator(after: localID)
        guard let peer = trustedPeer(preferring: preferred) else { return }
        lastRecoveryRequestMs = nowMs
        lastRecoveryPeer = peer
        askedPeers[peer] = nowMs
        // Its own height: only a peer whose snapshot is above it answers.
        output.messages.append(.send(.snapshotRequest(height: committedHeight, chunk: 0), to: peer))
    }
}
