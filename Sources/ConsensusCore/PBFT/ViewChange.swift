/// A validator's request to move to `newView`, carrying what it knows that
/// the next leader must not lose: its highest committed block (proven by a
/// commit certificate) and, above it, a contiguous chain of the highest-view
/// prepared block it holds at each height, as claims (header, hash, prepare
/// quorum): no transactions, so it fits a frame at the largest blocks.
public struct ViewChange: Hashable, Sendable {
    public let newView: UInt64
    public let voter: ValidatorID
    /// Nil at height 0 (nothing committed yet).
    public let committed: QuorumCertificate?
    /// Heights committedHeight+1, +2, ... each extending the previous.
    public let prepared: [PreparedClaim]
    public let signature: [UInt8]

    public var committedHeight: UInt64 { committed?.height ?? 0 }

    /// A view change as received; `isValid` checks it.
    public init(newView: UInt64, voter: ValidatorID, committed: QuorumCertificate?, prepared: [PreparedClaim], signature: [UInt8]) {
        self.newView = newView
        self.voter = voter
        self.committed = committed
        self.prepared = prepared
        self.signature = signature
    }

    /// Builds and signs a view change (replicas, tests and simulated adversaries).
    public static func make(
        newView: UInt64, voter: ValidatorID, committed: QuorumCertificate?, prepared: [PreparedClaim], signer: any MessageSigner
    ) -> ViewChange {
        let unsigned = ViewChange(newView: newView, voter: voter, committed: committed, prepared: prepared, signature: [])
        return ViewChange(newView: newView, voter: voter, committed: committed, prepared: prepared, signature: signer.sign(unsigned.signBytes))
    }

    var signBytes: [UInt8] {
        var encoder = CanonicalEncoder(domain: "cybermesh.pbft.view-change.v1")
        encoder.append(newView)
        encoder.append(voter.value)
        encoder.append(committed?.height ?? 0)
        encoder.append(committed?.blockHash ?? Hash32.zero)
        encoder.append(committed?.view ?? 0)
        encoder.append(UInt32(prepared.count))
        for certificate in prepared {
            encoder.append(certificate.view)
            encoder.append(certificate.height)
            encoder.append(certificate.blockHash)
        }
        return encoder.bytes
    }

    /// Checks signature, certificates and the chain shape. `anchor` is the
    /// genesis hash (the parent of height 1).
    public func isValid(in set: ValidatorSet, anchor: Hash32, crypto: any ConsensusCrypto) -> Bool {
        guard let info = set.info(voter), crypto.verify(signature: signature, message: signBytes, publicKey: info.publicKey) else { return false }
        if let committed {
            guard committed.phase == .commit, committed.isValid(in: set, crypto: crypto) else { return false }
        }
        var parentHash = committed?.blockHash ?? anchor
        var height = committedHeight
        for certificate in prepared {
            height += 1
            guard certificate.height == height, certificate.header.previousHash == parentHash,
                  certificate.view < newView, certificate.isValid(in: set, crypto: crypto) else { return false }
            parentHash = certificate.blockHash
        }
        return true
    }
}

/// The new leader's announcement of view `view`: the quorum of view changes
/// it used, and the blocks it re-proposes (by header: a replica fetches the
/// transactions it lacks), which every replica recomputes from those view
/// changes before accepting.
public struct NewView: Hashable, Sendable {
    public let view: UInt64
    public let viewChanges: [ViewChange]
    public let proposals: [ProposalHeader]
    public let signature: [UInt8]

    /// A new view as received; replicas validate it before entering.
    public init(view: UInt64, viewChanges: [ViewChange], proposals: [ProposalHeader], signature: [UInt8]) {
        self.view = view
        self.viewChanges = viewChanges
        self.proposals = proposals
        self.signature = signature
    }

    static func make(view: UInt64, viewChanges: [ViewChange], proposals: [ProposalHeader], signer: any MessageSigner) -> NewView {
        let unsigned = NewView(view: view, viewChanges: viewChanges, proposals: proposals, signature: [])
        return NewView(view: view, viewChanges: viewChanges, proposals: proposals, signature: signer.sign(unsigned.signBytes))
    }

    var signBytes: [UInt8] {
        var encoder = CanonicalEncoder(domain: "cybermesh.pbft.new-view.v1")
        encoder.append(view)
        encoder.append(UInt32(viewChanges.count))
        for change in viewChanges { encoder.append(change.signBytes) }
        encoder.append(UInt32(proposals.count))
        for proposal in proposals {
            encoder.append(proposal.header.height)
            encoder.append(proposal.blockHash)
        }
        return encoder.bytes
    }
}

/// The deterministic choice a new leader makes from a quorum of view
/// changes, and every replica repeats to validate a NewView.
///
/// Base: the highest commit certificate among them (height s). Above it, at
/// each height, the prepared certificate with the highest view, as long as it
/// extends the block chosen below it; the first height without a candidate,
/// or whose best candidate does not extend the chain, ends the list. A
/// block committed anywhere is prepared by a quorum, which intersects every
/// view-change quorum in an honest validator that reports it (or a later
/// re-proposal of it), so it is always chosen, and so is its parent: only
/// uncommitted blocks are ever dropped.
///
/// At and below the base: the certified chain itself, walked down by hash
/// from the base's block through the claims that report it, for at most a
/// window of heights. The certificate may be the only one anywhere: a
/// Byzantine leader that withheld its own commit vote holds it alone, and
/// no honest replica can fetch a block nobody honest committed (an
/// attacker's review of 540a9ad: every later view stalled at that floor).
/// Re-proposed, the honest replicas that prepared it commit it again in the
/// new view. Below the window the honest commit voters had committed
/// before voting (they vote only within their window), so catch-up serves
/// those heights.
public enum NewViewSelection {
    public struct Result: Equatable, Sendable {
        /// The highest proven committed height, and its block hash.
        public let baseHeight: UInt64
        public let baseHash: Hash32
        /// The base commit certificate (nil at height 0).
        public let base: QuorumCertificate?
        /// Blocks to re-propose, at consecutive heights: the certified chain
        /// ending at the base (when claims report it), then baseHeight+1, +2, ...
        public let blocks: [PreparedClaim]
    }

    /// `window`: the pipeline window, how far below the base the certified
    /// chain is re-proposed.
    public static func select(from viewChanges: [ViewChange], anchor: Hash32, window: UInt64) -> Result {
        let best = viewChanges.max { $0.committedHeight < $1.committedHeight }
        let base = best?.committed
        let baseHeight = base?.height ?? 0
        let claims = viewChanges.flatMap(\.prepared)
        var certified: [PreparedClaim] = []
        if let base {
            var wanted = base.blockHash
            var height = base.height
            while height >= 1, base.height - height < window,
                  let claim = claims.first(where: { $0.height == height && $0.blockHash == wanted }) {
                certified.append(claim)
                wanted = claim.header.previousHash
                height -= 1
            }
        }
        var parent = base?.blockHash ?? anchor
        var blocks: [PreparedClaim] = certified.reversed()
        var height = baseHeight + 1
        while true {
            let candidates = claims.filter { $0.height == height }
            guard let chosen = candidates.max(by: { ($0.view, $0.blockHash) < ($1.view, $1.blockHash) }),
                  chosen.header.previousHash == parent else { break }
            blocks.append(chosen)
            parent = chosen.blockHash
            height += 1
        }
        return Result(baseHeight: baseHeight, baseHash: base?.blockHash ?? anchor, base: base, blocks: blocks)
    }
}
