import ConsensusCore
import CyberMeshProto

/// `ServiceMessage`s as protobuf-c structs, built in one arena per envelope.
enum ServiceEncoding {
    typealias C = UnsafeMutablePointer

    static func admissionCode(_ admission: Admission) -> Cybermesh__V1__Wire__AdmissionCode {
        switch admission {
        case .admitted: return CYBERMESH__V1__WIRE__ADMISSION_CODE__ADMISSION_ADMITTED
        case .duplicate: return CYBERMESH__V1__WIRE__ADMISSION_CODE__ADMISSION_DUPLICATE
        case .alreadyCommitted: return CYBERMESH__V1__WIRE__ADMISSION_CODE__ADMISSION_ALREADY_COMMITTED
        case .full: return CYBERMESH__V1__WIRE__ADMISSION_CODE__ADMISSION_MEMPOOL_FULL
        case .rateLimited: return CYBERMESH__V1__WIRE__ADMISSION_CODE__ADMISSION_RATE_LIMITED
        case .rejected: return CYBERMESH__V1__WIRE__ADMISSION_CODE__ADMISSION_REJECTED
        }
    }

    static func executedBlock(_ value: ExecutedBlock, _ arena: ProtobufArena) -> C<Cybermesh__V1__Wire__ExecutedBlock> {
        let m = arena.message(Cybermesh__V1__Wire__ExecutedBlock.self)
        cybermesh__v1__wire__executed_block__init(m)
        m.pointee.committed = ConsensusEncoding.committedBlock(value.committed, arena)
        m.pointee.state_root = arena.binary(value.stateRoot.bytes)
        m.pointee.n_rejections = value.rejections.count
        m.pointee.rejections = arena.cStrings(value.rejections.map { $0 ?? "" })
        return m
    }

    /// Sets the envelope's body to `message`.
    static func setBody(_ envelope: C<Cybermesh__V1__Wire__Envelope>, _ message: ServiceMessage, _ arena: ProtobufArena) {
        switch message {
        case let .submitEvents(value):
            let m = arena.message(Cybermesh__V1__Wire__SubmitEvents.self)
            cybermesh__v1__wire__submit_events__init(m)
            m.pointee.batch_id = value.batchID
            m.pointee.n_events = value.events.count
            m.pointee.events = arena.binaries(value.events)
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_SUBMIT_EVENTS
            envelope.pointee.submit_events = m
        case let .submitResult(value):
            let results = value.results.map { result -> C<Cybermesh__V1__Wire__EventAdmission> in
                let r = arena.message(Cybermesh__V1__Wire__EventAdmission.self)
                cybermesh__v1__wire__event_admission__init(r)
                r.pointee.tx_id = arena.binary(result.transactionID?.bytes ?? [])
                r.pointee.code = admissionCode(result.admission)
                if case let .rejected(reason) = result.admission { r.pointee.reason = arena.cString(reason) }
                return r
            }
            let m = arena.message(Cybermesh__V1__Wire__SubmitResult.self)
            cybermesh__v1__wire__submit_result__init(m)
            m.pointee.batch_id = value.batchID
            m.pointee.n_results = results.count
            m.pointee.results = arena.pointers(results)
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_SUBMIT_RESULT
            envelope.pointee.submit_result = m
        case let .subscribeCommits(fromHeight):
            let m = arena.message(Cybermesh__V1__Wire__SubscribeCommits.self)
            cybermesh__v1__wire__subscribe_commits__init(m)
            m.pointee.from_height = fromHeight
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_SUBSCRIBE_COMMITS
            envelope.pointee.subscribe_commits = m
        case let .commitNotices(value):
            let m = arena.message(Cybermesh__V1__Wire__CommitNotices.self)
            cybermesh__v1__wire__commit_notices__init(m)
            m.pointee.height = value.height
            m.pointee.block_hash = arena.binary(value.blockHash.bytes)
            m.pointee.block_time_ms = value.blockTimeMs
            m.pointee.n_tx_ids = value.transactionIDs.count
            m.pointee.tx_ids = arena.binaries(value.transactionIDs.map(\.bytes))
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_COMMIT_NOTICES
            envelope.pointee.commit_notices = m
        case let .subscribeBlocks(fromHeight):
            let m = arena.message(Cybermesh__V1__Wire__SubscribeBlocks.self)
            cybermesh__v1__wire__subscribe_blocks__init(m)
            m.pointee.from_height = fromHeight
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_SUBSCRIBE_BLOCKS
            envelope.pointee.subscribe_blocks = m
        case let .blockStream(blocks):
            let m = arena.message(Cybermesh__V1__Wire__BlockStream.self)
            cybermesh__v1__wire__block_stream__init(m)
            m.pointee.n_blocks = blocks.count
            m.pointee.blocks = arena.pointers(blocks.map { executedBlock($0, arena) })
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_BLOCK_STREAM
            envelope.pointee.block_stream = m
        case let .statusQuery(value):
            let m = arena.message(Cybermesh__V1__Wire__StatusQuery.self)
            cybermesh__v1__wire__status_query__init(m)
            m.pointee.id = value.id
            m.pointee.path = arena.cString(value.path)
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_STATUS_QUERY
            envelope.pointee.status_query = m
        case let .statusReply(value):
            let m = arena.message(Cybermesh__V1__Wire__StatusReply.self)
            cybermesh__v1__wire__status_reply__init(m)
            m.pointee.id = value.id
            m.pointee.http_status = value.httpStatus
            m.pointee.json = arena.binary(value.json)
            envelope.pointee.body_case = CYBERMESH__V1__WIRE__ENVELOPE__BODY_STATUS_REPLY
            envelope.pointee.status_reply = m
        }
    }
}
