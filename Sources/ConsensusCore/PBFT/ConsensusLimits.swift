/// The ranges a view or height can reach in any real chain, and the check
/// that a received message stays inside them. A validator's key can sign
/// UInt64.max as easily as 7; refusing such values at decode (with the
/// field named) and again at the core's door means no `+ 1` the protocol
/// does on a peer's view or height can ever overflow.
public enum ConsensusLimits {
    /// 2^62: a view change a millisecond would need 146 million years to get here.
    public static let maximumView: UInt64 = 1 << 62
    /// 2^62: a block a nanosecond would need 146 years.
    public static let maximumHeight: UInt64 = 1 << 62
}

extension ConsensusMessage {
    /// The first view or height outside `ConsensusLimits`, named for the
    /// rejection reason; nil when every one is in range.
    public var outOfRangeField: String? {
        switch self {
        case .genesis:
            return nil
        case let .proposal(proposal):
            return proposal.outOfRangeField
        case let .vote(vote):
            return vote.outOfRangeField
        case let .viewChange(change):
            return change.outOfRangeField
        case let .newView(newView):
            if newView.view > ConsensusLimits.maximumView { return "new_view.view" }
            if let field = newView.viewChanges.lazy.compactMap(\.outOfRangeField).first { return field }
            for proposal in newView.proposals {
                if proposal.view > ConsensusLimits.maximumView { return "new_view.proposals.view" }
                if proposal.header.height > ConsensusLimits.maximumHeight { return "new_view.proposals.header.height" }
                if proposal.header.results.height > ConsensusLimits.maximumHeight { return "new_view.proposals.header.results.height" }
            }
            return nil
        case let .heartbeat(heartbeat):
            if heartbeat.view > ConsensusLimits.maximumView { return "heartbeat.view" }
            return heartbeat.committedHeight > ConsensusLimits.maximumHeight ? "heartbeat.committed_height" : nil
        case let .blockRequest(fromHeight):
            return fromHeight > ConsensusLimits.maximumHeight ? "block_request.from_height" : nil
        case let .blocks(blocks):
            return blocks.lazy.compactMap(\.outOfRangeField).first
        case let .checkpoint(checkpoint):
            return checkpoint.height > ConsensusLimits.maximumHeight ? "checkpoint.height" : nil
        case let .snapshotRequest(height, _):
            return height > ConsensusLimits.maximumHeight ? "snapshot_request.height" : nil
        case let .snapshotChunk(chunk):
            if chunk.checkpoint.height > ConsensusLimits.maximumHeight { return "snapshot_chunk.checkpoint.height" }
            return chunk.block?.outOfRangeField
        case let .blockBodyRequest(height, _):
            return height > ConsensusLimits.maximumHeight ? "block_body_request.height" : nil
        case let .blockBody(block):
            if block.height > ConsensusLimits.maximumHeight { return "block_body.height" }
            return block.results.height > ConsensusLimits.maximumHeight ? "block_body.results.height" : nil
        }
    }
}

extension Proposal {
    var outOfRangeField: String? {
        if view > ConsensusLimits.maximumView { return "proposal.view" }
        if block.results.height > ConsensusLimits.maximumHeight { return "proposal.block.results.height" }
        return block.height > ConsensusLimits.maximumHeight ? "proposal.block.height" : nil
    }
}

extension Vote {
    var outOfRangeField: String? {
        if view > ConsensusLimits.maximumView { return "vote.view" }
        return height > ConsensusLimits.maximumHeight ? "vote.height" : nil
    }
}

extension QuorumCertificate {
    var outOfRangeField: String? { votes.lazy.compactMap(\.outOfRangeField).first }
}

extension ViewChange {
    var outOfRangeField: String? {
        if newView > ConsensusLimits.maximumView { return "view_change.new_view" }
        if let field = committed?.outOfRangeField { return field }
        for claim in prepared {
            if claim.header.height > ConsensusLimits.maximumHeight { return "view_change.prepared.header.height" }
            if claim.header.results.height > ConsensusLimits.maximumHeight { return "view_change.prepared.header.results.height" }
            if let field = claim.prepares.outOfRangeField { return field }
        }
        return nil
    }
}

extension CommittedBlock {
    var outOfRangeField: String? {
        if block.height > ConsensusLimits.maximumHeight { return "block.height" }
        if block.results.height > ConsensusLimits.maximumHeight { return "block.results.height" }
        return certificate.outOfRangeField
    }
}
