import ConsensusCore
import CyberMeshProto

/// protobuf-c structs back into ConsensusCore's messages. Shapes are checked
/// here (hash lengths, required sub-messages, UTF-8); signatures and
/// semantics are the core's to verify.
enum ConsensusDecoding {
    typealias P = UnsafeMutablePointer

    struct Failure: Error {
        let kind: MessageKind
        let field: String
        var outOfRange = false
    }

    static func hash(_ data: ProtobufCBinaryData, _ kind: MessageKind, _ field: String) throws(Failure) -> Hash32 {
        guard let value = Hash32(bytes: ProtobufFields.bytes(data)) else { throw Failure(kind: kind, field: field) }
        return value
    }

    static func required<T>(_ pointer: P<T>?, _ kind: MessageKind, _ field: String) throws(Failure) -> T {
        guard let pointer else { throw Failure(kind: kind, field: field) }
        return pointer.pointee
    }

    static func list<T, R>(_ count: Int, _ items: P<P<T>?>?, _ kind: MessageKind, _ field: String, _ each: (T) throws(Failure) -> R) throws(Failure) -> [R] {
        guard count > 0 else { return [] }
        guard let items else { throw Failure(kind: kind, field: field) }
        var out: [R] = []
        out.reserveCapacity(count)
        for index in 0..<count {
            out.append(try each(try required(items[index], kind, field)))
        }
        return out
    }

    static func parameters(_ m: Cybermesh__V1__Wire__GenesisParameters, _ kind: MessageKind) throws(Failure) -> GenesisParameters {
        guard let chain = ProtobufFields.string(m.chain_id) else { throw Failure(kind: kind, field: "parameters.chain_id") }
        return GenesisParameters(
            chainID: chain, validatorSetHash: try hash(m.validator_set_hash, kind, "parameters.validator_set_hash"),
            configHash: try hash(m.config_hash, kind, "parameters.config_hash"))
    }

    static func ready(_ m: Cybermesh__V1__Wire__GenesisReady, _ kind: MessageKind) throws(Failure) -> GenesisReady {
        GenesisReady(
            parameters: try parameters(try required(m.parameters, kind, "parameters"), kind),
            validator: ValidatorID(m.validator), timestampMs: m.timestamp_ms,
            nonce: ProtobufFields.bytes(m.nonce), signature: ProtobufFields.bytes(m.signature))
    }

    static func certificate(_ m: Cybermesh__V1__Wire__GenesisCertificate) throws(Failure) -> GenesisCertificate {
        let kind = MessageKind.genesisCertificate
        return GenesisCertificate(
            parameters: try parameters(try required(m.parameters, kind, "parameters"), kind),
            round: m.round, aggregator: ValidatorID(m.aggregator),
            attestations: try list(m.n_attestations, m.attestations, kind, "attestations") { (r) throws(Failure) in try ready(r, kind) },
            signature: ProtobufFields.bytes(m.signature))
    }

    static func results(_ m: Cybermesh__V1__Wire__ExecutionResults?, _ kind: MessageKind, _ field: String) throws(Failure) -> ExecutionResults {
        guard let r = m else { throw Failure(kind: kind, field: field) }
        return ExecutionResults(
            height: r.height, stateRoot: try hash(r.state_root, kind, field + ".state_root"),
            outcomesHash: try hash(r.outcomes_hash, kind, field + ".outcomes_hash"))
    }

    static func header(_ m: Cybermesh__V1__Wire__BlockHeader, _ kind: MessageKind, _ field: String) throws(Failure) -> BlockHeader {
        BlockHeader(
            height: m.height, previousHash: try hash(m.previous_hash, kind, field + ".previous_hash"), proposer: ValidatorID(m.proposer),
            timestampMs: m.timestamp_ms, transactionRoot: try hash(m.transaction_root, kind, field + ".transaction_root"),
            transactionCount: m.transaction_count, results: try results(m.results?.pointee, kind, field + ".results"))
    }

    static func block(_ m: Cybermesh__V1__Wire__Block, _ kind: MessageKind) throws(Failure) -> Block {
        let transactions = try list(m.n_transactions, m.transactions, kind, "block.transactions") { (t) throws(Failure) in
            Transaction(id: try hash(t.id, kind, "block.transactions.id"), payload: ProtobufFields.bytes(t.payload))
        }
        let results = try results(m.results?.pointee, kind, "block.results")
        return Block(
            height: m.height, previousHash: try hash(m.previous_hash, kind, "block.previous_hash"),
            proposer: ValidatorID(m.proposer), timestampMs: m.timestamp_ms, transactions: transactions,
            transactionRoot: try hash(m.transaction_root, kind, "block.transaction_root"), results: results)
    }

    static func proposal(_ m: Cybermesh__V1__Wire__Proposal, _ kind: MessageKind) throws(Failure) -> Proposal {
        Proposal(
            view: m.view, block: try block(try required(m.block, kind, "block"), kind),
            blockHash: try hash(m.block_hash, kind, "block_hash"), signature: ProtobufFields.bytes(m.signature))
    }

    static func vote(_ m: Cybermesh__V1__Wire__Vote, _ kind: MessageKind) throws(Failure) -> Vote {
        let phase: VotePhase
        switch m.phase {
        case CYBERMESH__V1__WIRE__VOTE_PHASE__VOTE_PHASE_PREPARE: phase = .prepare
        case CYBERMESH__V1__WIRE__VOTE_PHASE__VOTE_PHASE_COMMIT: phase = .commit
        default: throw Failure(kind: kind, field: "phase")
        }
        return Vote(
            phase: phase, view: m.view, height: m.height, blockHash: try hash(m.block_hash, kind, "block_hash"),
            voter: ValidatorID(m.voter), signature: ProtobufFields.bytes(m.signature))
    }

    static func quorum(_ m: Cybermesh__V1__Wire__QuorumCertificate, _ kind: MessageKind) throws(Failure) -> QuorumCertificate {
        let votes = try list(m.n_votes, m.votes, kind, "certificate.votes") { (v) throws(Failure) in try vote(v, kind) }
        guard !votes.isEmpty else { throw Failure(kind: kind, field: "certificate.votes") }
        return QuorumCertificate(votes: votes)
    }

    static func prepared(_ m: Cybermesh__V1__Wire__PreparedCertificate, _ kind: MessageKind) throws(Failure) -> PreparedCertificate {
        PreparedCertificate(
            proposal: try proposal(try required(m.proposal, kind, "prepared.proposal"), kind),
            prepares: try quorum(try required(m.prepares, kind, "prepared.prepares"), kind))
    }

    static func claim(_ m: Cybermesh__V1__Wire__PreparedClaim, _ kind: MessageKind) throws(Failure) -> PreparedClaim {
        PreparedClaim(
            header: try header(try required(m.header, kind, "prepared.header"), kind, "prepared.header"),
            blockHash: try hash(m.block_hash, kind, "prepared.block_hash"),
            prepares: try quorum(try required(m.prepares, kind, "prepared.prepares"), kind))
    }

    static func proposalHeader(_ m: Cybermesh__V1__Wire__ProposalHeader, _ kind: MessageKind) throws(Failure) -> ProposalHeader {
        ProposalHeader(
            view: m.view, header: try header(try required(m.header, kind, "proposals.header"), kind, "proposals.header"),
            blockHash: try hash(m.block_hash, kind, "proposals.block_hash"), signature: ProtobufFields.bytes(m.signature))
    }

    static func viewChange(_ m: Cybermesh__V1__Wire__ViewChange, _ kind: MessageKind) throws(Failure) -> ViewChange {
        let committed: QuorumCertificate?
        if let pointer = m.committed { committed = try quorum(pointer.pointee, kind) } else { committed = nil }
        return ViewChange(
            newView: m.new_view, voter: ValidatorID(m.voter), committed: committed,
            prepared: try list(m.n_prepared, m.prepared, kind, "prepared") { (p) throws(Failure) in try claim(p, kind) },
            signature: ProtobufFields.bytes(m.signature))
    }

    static func newView(_ m: Cybermesh__V1__Wire__NewView) throws(Failure) -> NewView {
        let kind = MessageKind.newView
        return NewView(
            view: m.view,
            viewChanges: try list(m.n_view_changes, m.view_changes, kind, "view_changes") { (c) throws(Failure) in try viewChange(c, kind) },
            proposals: try list(m.n_proposals, m.proposals, kind, "proposals") { (p) throws(Failure) in try proposalHeader(p, kind) },
            signature: ProtobufFields.bytes(m.signature))
    }

    static func committedBlock(_ c: Cybermesh__V1__Wire__CommittedBlock, _ kind: MessageKind) throws(Failure) -> CommittedBlock {
        CommittedBlock(
            block: try block(try required(c.block, kind, "block"), kind),
            blockHash: try hash(c.block_hash, kind, "block_hash"),
            certificate: try quorum(try required(c.certificate, kind, "certificate"), kind))
    }

    static func committedBlocks(_ m: Cybermesh__V1__Wire__Blocks) throws(Failure) -> [CommittedBlock] {
        let kind = MessageKind.blocks
        return try list(m.n_blocks, m.blocks, kind, "blocks") { (c) throws(Failure) in try committedBlock(c, kind) }
    }

    static func checkpoint(_ m: Cybermesh__V1__Wire__Checkpoint, _ kind: MessageKind) throws(Failure) -> Checkpoint {
        Checkpoint(
            height: m.height, blockHash: try hash(m.block_hash, kind, "block_hash"), blockTimestampMs: m.block_timestamp_ms,
            stateRoot: try hash(m.state_root, kind, "state_root"), voter: ValidatorID(m.voter), signature: ProtobufFields.bytes(m.signature))
    }

    static func stableCheckpoint(_ stable: Cybermesh__V1__Wire__StableCheckpoint, _ kind: MessageKind) throws(Failure) -> StableCheckpoint {
        let checkpoints = try list(stable.n_checkpoints, stable.checkpoints, kind, "checkpoint.checkpoints") { (c) throws(Failure) in
            try checkpoint(c, kind)
        }
        guard !checkpoints.isEmpty else { throw Failure(kind: kind, field: "checkpoint.checkpoints") }
        return StableCheckpoint(checkpoints: checkpoints)
    }

    static func stateEntries(_ count: Int, _ items: P<P<Cybermesh__V1__Wire__StateEntry>?>?, _ kind: MessageKind) throws(Failure) -> [StateEntry] {
        try list(count, items, kind, "entries") { (e) throws(Failure) in
            StateEntry(key: ProtobufFields.bytes(e.key), value: ProtobufFields.bytes(e.value))
        }
    }

    static func snapshotChunk(_ m: Cybermesh__V1__Wire__SnapshotChunk) throws(Failure) -> SnapshotChunk {
        let kind = MessageKind.snapshotChunk
        let block: CommittedBlock?
        if let pointer = m.block { block = try committedBlock(pointer.pointee, kind) } else { block = nil }
        return SnapshotChunk(
            checkpoint: try stableCheckpoint(try required(m.checkpoint, kind, "checkpoint"), kind), index: m.index, count: m.count,
            block: block, entries: try stateEntries(m.n_entries, m.entries, kind))
    }

    /// The consensus message in `envelope`, or nil when its body is another kind.
    static func message(in envelope: Cybermesh__V1__Wire__Envelope) throws(Failure) -> ConsensusMessage? {
        switch envelope.body_case {
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_GENESIS_READY:
            return .genesis(.ready(try ready(try required(envelope.genesis_ready, .genesisReady, "body"), .genesisReady)))
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_GENESIS_CERTIFICATE:
            return .genesis(.certificate(try certificate(try required(envelope.genesis_certificate, .genesisCertificate, "body"))))
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_PROPOSAL:
            return .proposal(try proposal(try required(envelope.proposal, .proposal, "body"), .proposal))
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_VOTE:
            return .vote(try vote(try required(envelope.vote, .vote, "body"), .vote))
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_VIEW_CHANGE:
            return .viewChange(try viewChange(try required(envelope.view_change, .viewChange, "body"), .viewChange))
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_NEW_VIEW:
            return .newView(try newView(try required(envelope.new_view, .newView, "body")))
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_LEADER_HEARTBEAT:
            let m = try required(envelope.leader_heartbeat, .leaderHeartbeat, "body")
            return .heartbeat(LeaderHeartbeat(
                view: m.view, leader: ValidatorID(m.leader), committedHeight: m.committed_height, sentAtMs: m.sent_at_ms,
                signature: ProtobufFields.bytes(m.signature)))
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_BLOCK_REQUEST:
            return .blockRequest(fromHeight: try required(envelope.block_request, .blockRequest, "body").from_height)
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_BLOCKS:
            return .blocks(try committedBlocks(try required(envelope.blocks, .blocks, "body")))
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_CHECKPOINT:
            return .checkpoint(try checkpoint(try required(envelope.checkpoint, .checkpoint, "body"), .checkpoint))
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_SNAPSHOT_REQUEST:
            let m = try required(envelope.snapshot_request, .snapshotRequest, "body")
            return .snapshotRequest(height: m.height, chunk: m.chunk)
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_SNAPSHOT_CHUNK:
            return .snapshotChunk(try snapshotChunk(try required(envelope.snapshot_chunk, .snapshotChunk, "body")))
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_BLOCK_BODY_REQUEST:
            let m = try required(envelope.block_body_request, .blockBodyRequest, "body")
            return .blockBodyRequest(height: m.height, blockHash: try hash(m.block_hash, .blockBodyRequest, "block_hash"))
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_BLOCK_BODY:
            return .blockBody(try block(try required(envelope.block_body, .blockBody, "body"), .blockBody))
        default:
            return nil
        }
    }
}
