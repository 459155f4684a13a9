import ConsensusCore
import CyberMeshProto

/// ConsensusCore's messages as protobuf-c structs (proto/cybermesh/v1/wire.proto),
/// built in one arena per envelope.
enum ConsensusEncoding {
    typealias C = UnsafeMutablePointer

    static func parameters(_ value: GenesisParameters, _ arena: ProtobufArena) -> C<Cybermesh__V1__Wire__GenesisParameters> {
        let m = arena.message(Cybermesh__V1__Wire__GenesisParameters.self)
        cybermesh__v1__wire__genesis_parameters__init(m)
        m.pointee.chain_id = arena.cString(value.chainID)
        m.pointee.validator_set_hash = arena.binary(value.validatorSetHash.bytes)
        m.pointee.config_hash = arena.binary(value.configHash.bytes)
        return m
    }

    static func ready(_ value: GenesisReady, _ arena: ProtobufArena) -> C<Cybermesh__V1__Wire__GenesisReady> {
        let m = arena.message(Cybermesh__V1__Wire__GenesisReady.self)
        cybermesh__v1__wire__genesis_ready__init(m)
        m.pointee.parameters = parameters(value.parameters, arena)
        m.pointee.validator = value.validator.value
        m.pointee.timestamp_ms = value.timestampMs
        m.pointee.nonce = arena.binary(value.nonce)
        m.pointee.signature = arena.binary(value.signature)
        return m
    }

    static func certificate(_ value: GenesisCertificate, _ arena: ProtobufArena) -> C<Cybermesh__V1__Wire__GenesisCertificate> {
        let m = arena.message(Cybermesh__V1__Wire__GenesisCertificate.self)
        cybermesh__v1__wire__genesis_certificate__init(m)
        m.pointee.parameters = parameters(value.parameters, arena)
        m.pointee.round = value.round
        m.pointee.aggregator = value.aggregator.value
        m.pointee.n_attestations = value.attestations.count
        m.pointee.attestations = arena.pointers(value.attestations.map { ready($0, arena) })
        m.pointee.signature = arena.binary(value.signature)
        return m
    }

    static func block(_ value: Block, _ arena: ProtobufArena) -> C<Cybermesh__V1__Wire__Block> {
        let m = arena.message(Cybermesh__V1__Wire__Block.self)
        cybermesh__v1__wire__block__init(m)
        m.pointee.height = value.height
        m.pointee.previous_hash = arena.binary(value.previousHash.bytes)
        m.pointee.proposer = value.proposer.value
        m.pointee.timestamp_ms = value.timestampMs
        let transactions = value.transactions.map { transaction -> C<Cybermesh__V1__Wire__Transaction> in
            let t = arena.message(Cybermesh__V1__Wire__Transaction.self)
            cybermesh__v1__wire__transaction__init(t)
            t.pointee.id = arena.binary(transaction.id.bytes)
            t.pointee.payload = arena.binary(transaction.payload)
            return t
        }
        m.pointee.n_transactions = transactions.count
        m.pointee.transactions = arena.pointers(transactions)
        m.pointee.transaction_root = arena.binary(value.transactionRoot.bytes)
        m.pointee.results = results(value.results, arena)
        return m
    }

    static func results(_ value: ExecutionResults, _ arena: ProtobufArena) -> C<Cybermesh__V1__Wire__ExecutionResults> {
        let m = arena.message(Cybermesh__V1__Wire__ExecutionResults.self)
        cybermesh__v1__wire__execution_results__init(m)
        m.pointee.height = value.height
        m.pointee.state_root = arena.binary(value.stateRoot.bytes)
        m.pointee.outcomes_hash = arena.binary(value.outcomesHash.bytes)
        return m
    }

    static func header(_ value: BlockHeader, _ arena: ProtobufArena) -> C<Cybermesh__V1__Wire__BlockHeader> {
        let m = arena.message(Cybermesh__V1__Wire__BlockHeader.self)
        cybermesh__v1__wire__block_header__init(m)
        m.pointee.height = value.height
        m.pointee.previous_hash = arena.binary(value.previousHash.bytes)
        m.pointee.proposer = value.proposer.value
        m.pointee.timestamp_ms = value.timestampMs
        m.pointee.transaction_root = arena.binary(value.transactionRoot.bytes)
        m.pointee.transaction_count = value.transactionCount
        m.pointee.results = results(value.results, arena)
        return m
    }

    static func proposal(_ value: Proposal, _ arena: ProtobufArena) -> C<Cybermesh__V1__Wire__Proposal> {
        let m = arena.message(Cybermesh__V1__Wire__Proposal.self)
        cybermesh__v1__wire__proposal__init(m)
        m.pointee.view = value.view
        m.pointee.block = block(value.block, arena)
        m.pointee.block_hash = arena.binary(value.blockHash.bytes)
        m.pointee.signature = arena.binary(value.signature)
        return m
    }

    static func vote(_ value: Vote, _ arena: ProtobufArena) -> C<Cybermesh__V1__Wire__Vote> {
        let m = arena.message(Cybermesh__V1__Wire__Vote.self)
        cybermesh__v1__wire__vote__init(m)
        m.pointee.phase = value.phase == .prepare ? CYBERMESH__V1__WIRE__VOTE_PHASE__VOTE_PHASE_PREPARE : CYBERMESH__V1__WIRE__VOTE_PHASE__VOTE_PHASE_COMMIT
        m.pointee.view = value.view
        m.pointee.height = value.height
        m.pointee.block_hash = arena.binary(value.blockHash.bytes)
        m.pointee.voter = value.voter.value
        m.pointee.signature = arena.binary(value.signature)
        return m
    }

    static func quorum(_ value: QuorumCertificate, _ arena: ProtobufArena) -> C<Cybermesh__V1__Wire__QuorumCertificate> {
        let m = arena.message(Cybermesh__V1__Wire__QuorumCertificate.self)
        cybermesh__v1__wire__quorum_certificate__init(m)
        m.pointee.n_votes = value.votes.count
        m.pointee.votes = arena.pointers(value.votes.map { vote($0, arena) })
        return m
    }

    static func prepared(_ value: PreparedCertificate, _ arena: ProtobufArena) -> C<Cybermesh__V1__Wire__PreparedCertificate> {
        let m = arena.message(Cybermesh__V1__Wire__PreparedCertificate.self)
        cybermesh__v1__wire__prepared_certificate__init(m)
        m.pointee.proposal = proposal(value.proposal, arena)
        m.pointee.prepares = quorum(value.prepares, arena)
        return m
    }

    static func claim(_ value: PreparedClaim, _ arena: ProtobufArena) -> C<Cybermesh__V1__Wire__PreparedClaim> {
        let m = arena.message(Cybermesh__V1__Wire__PreparedClaim.self)
        cybermesh__v1__wire__prepared_claim__init(m)
        m.pointee.header = header(value.header, arena)
        m.pointee.block_hash = arena.binary(value.blockHash.bytes)
        m.pointee.prepares = quorum(value.prepares, arena)
        return m
    }

    static func proposalHeader(_ value: ProposalHeader, _ arena: ProtobufArena) -> C<Cybermesh__V1__Wire__ProposalHeader> {
        let m = arena.message(Cybermesh__V1__Wire__ProposalHeader.self)
        cybermesh__v1__wire__proposal_header__init(m)
        m.pointee.view = value.view
        m.pointee.header = header(value.header, arena)
        m.pointee.block_hash = arena.binary(value.blockHash.bytes)
        m.pointee.signature = arena.binary(value.signature)
        return m
    }

    static func viewChange(_ value: ViewChange, _ arena: ProtobufArena) -> C<Cybermesh__V1__Wire__ViewChange> {
        let m = arena.message(Cybermesh__V1__Wire__ViewChange.self)
        cybermesh__v1__wire__view_change__init(m)
        m.pointee.new_view = value.newView
        m.pointee.voter = value.voter.value
        m.pointee.committed = value.committed.map { quorum($0, arena) }
        m.pointee.n_prepared = value.prepared.count
        m.pointee.prepared = arena.pointers(value.prepared.map { claim($0, arena) })
        m.pointee.signature = arena.binary(value.signature)
        return m
    }

    static func newView(_ value: NewView, _ arena: ProtobufArena) -> C<Cybermesh__V1__Wire__NewView> {
        let m = arena.message(Cybermesh__V1__Wire__NewView.self)
        cybermesh__v1__wire__new_view__init(m)
        m.pointee.view = value.view
        m.pointee.n_view_changes = value.viewChanges.count
        m.pointee.view_changes = arena.pointers(value.viewChanges.map { viewChange($0, arena) })
        m.pointee.n_proposals = value.proposals.count
        m.pointee.proposals = arena.pointers(value.proposals.map { proposalHeader($0, arena) })
        m.pointee.signature = arena.binary(value.signature)
        return m
    }

    static func heartbeat(_ value: LeaderHeartbeat, _ arena: ProtobufArena) -> C<Cybermesh__V1__Wire__LeaderHeartbeat> {
        let m = arena.message(Cybermesh__V1__Wire__LeaderHeartbeat.self)
        cybermesh__v1__wire__leader_heartbeat__init(m)
        m.pointee.view = value.view
        m.pointee.leader = value.leader.value
        m.pointee.committed_height = value.committedHeight
        m.pointee.sent_at_ms = value.sentAtMs
        m.pointee.signature = arena.binary(value.signature)
        return m
    }

    static func committedBlock(_ committed: CommittedBlock, _ arena: ProtobufArena) -> C<Cybermesh__V1__Wire__CommittedBlock> {
        let c = arena.message(Cybermesh__V1__Wire__CommittedBlock.self)
        cybermesh__v1__wire__committed_block__init(c)
        c.pointee.block = block(committed.block, arena)
        c.pointee.block_hash = arena.binary(committed.blockHash.bytes)
        c.pointee.certificate = quorum(committed.certificate, arena)
        return c
    }

    static func blocks(_ value: [CommittedBlock], _ arena: ProtobufArena) -> C<Cybermesh__V1__Wire__Blocks> {
        let m = arena.message(Cybermesh__V1__Wire__Blocks.self)
        cybermesh__v1__wire__blocks__init(m)
        let items = value.map { committedBlock($0, arena) }
        m.pointee.n_blocks = items.count
        m.pointee.blocks = arena.pointers(items)
        return m
    }

    static func checkpoint(_ value: Checkpoint, _ arena: ProtobufArena) -> C<Cybermesh__V1__Wire__Checkpoint> {
        let m = arena.message(Cybermesh__V1__Wire__Checkpoint.self)
        cybermesh__v1__wire__checkpoint__init(m)
        m.pointee.height = value.height
        m.pointee.block_hash = arena.binary(value.blockHash.bytes)
        m.pointee.block_timestamp_ms = value.blockTimestampMs
        m.pointee.state_root = arena.binary(value.stateRoot.bytes)
        m.pointee.voter = value.voter.value
        m.pointee.signature = arena.binary(value.signature)
        return m
    }

    static func stableCheckpoint(_ value: StableCheckpoint, _ arena: ProtobufArena) -> C<Cybermesh__V1__Wire__StableCheckpoint> {
        let stable = arena.message(Cybermesh__V1__Wire__StableCheckpoint.self)
        cybermesh__v1__wire__stable_checkpoint__init(stable)
        stable.pointee.n_checkpoints = value.checkpoints.count
        stable.pointee.checkpoints = arena.pointers(value.checkpoints.map { checkpoint($0, arena) })
        return stable
    }

    static func stateEntries(_ value: [StateEntry], _ arena: ProtobufArena) -> UnsafeMutablePointer<C<Cybermesh__V1__Wire__StateEntry>?>? {
        arena.pointers(value.map { entry -> C<Cybermesh__V1__Wire__StateEntry> in
            let e = arena.message(Cybermesh__V1__Wire__StateEntry.self)
            cybermesh__v1__wire__state_entry__init(e)
            e.pointee.key = arena.binary(entry.key)
            e.pointee.value = arena.binary(entry.value)
            return e
        })
    }

    static func snapshotChunk(_ value: SnapshotChunk, _ arena: ProtobufArena) -> C<Cybermesh__V1__Wire__SnapshotChunk> {
        let m = arena.message(Cybermesh__V1__Wire__SnapshotChunk.self)
        cybermesh__v1__wire__snapshot_chunk__init(m)
        m.pointee.checkpoint = stableCheckpoint(value.checkpoint, arena)
        m.pointee.index = value.index
        m.pointee.count = value.count
        m.pointee.block = value.block.map { committedBlock($0, arena) }
        m.pointee.n_entries = value.entries.count
        m.pointee.entries = stateEntries(value.entries, arena)
        return m
    }

    /// Sets the envelope's body to `message`.
    static func setBody(_ envelope: C<Cybermesh__V1__Wire__Envelope>, _ message: ConsensusMessage, _ arena: ProtobufArena) {
        switch message {
        case let .genesis(.ready(value)):
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_GENESIS_READY
            envelope.pointee.genesis_ready = ready(value, arena)
        case let .genesis(.certificate(value)):
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_GENESIS_CERTIFICATE
            envelope.pointee.genesis_certificate = certificate(value, arena)
        case let .proposal(value):
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_PROPOSAL
            envelope.pointee.proposal = proposal(value, arena)
        case let .vote(value):
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_VOTE
            envelope.pointee.vote = vote(value, arena)
        case let .viewChange(value):
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_VIEW_CHANGE
            envelope.pointee.view_change = viewChange(value, arena)
        case let .newView(value):
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_NEW_VIEW
            envelope.pointee.new_view = newView(value, arena)
        case let .heartbeat(value):
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_LEADER_HEARTBEAT
            envelope.pointee.leader_heartbeat = heartbeat(value, arena)
        case let .blockRequest(fromHeight):
            let m = arena.message(Cybermesh__V1__Wire__BlockRequest.self)
            cybermesh__v1__wire__block_request__init(m)
            m.pointee.from_height = fromHeight
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_BLOCK_REQUEST
            envelope.pointee.block_request = m
        case let .blocks(value):
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_BLOCKS
            envelope.pointee.blocks = blocks(value, arena)
        case let .checkpoint(value):
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_CHECKPOINT
            envelope.pointee.checkpoint = checkpoint(value, arena)
        case let .blockBodyRequest(height, blockHash):
            let m = arena.message(Cybermesh__V1__Wire__BlockBodyRequest.self)
            cybermesh__v1__wire__block_body_request__init(m)
            m.pointee.height = height
            m.pointee.block_hash = arena.binary(blockHash.bytes)
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_BLOCK_BODY_REQUEST
            envelope.pointee.block_body_request = m
        case let .blockBody(value):
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_BLOCK_BODY
            envelope.pointee.block_body = block(value, arena)
        case let .snapshotRequest(height, chunk):
            let m = arena.message(Cybermesh__V1__Wire__SnapshotRequest.self)
            cybermesh__v1__wire__snapshot_request__init(m)
            m.pointee.height = height
            m.pointee.chunk = chunk
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_SNAPSHOT_REQUEST
            envelope.pointee.snapshot_request = m
        case let .snapshotChunk(value):
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_SNAPSHOT_CHUNK
            envelope.pointee.snapshot_chunk = snapshotChunk(value, arena)
        }
    }
}
