import ConsensusCore
import CyberMeshProto

/// protobuf-c structs back into `ServiceMessage`s. Shapes are checked here
/// (hash lengths, UTF-8, known codes); what the events say is the
/// validator's to verify.
enum ServiceDecoding {
    typealias Failure = ConsensusDecoding.Failure

    static func admission(_ r: Cybermesh__V1__Wire__EventAdmission) throws(Failure) -> Admission {
        switch r.code {
        case CYBERMESH__V1__WIRE__ADMISSION_CODE__ADMISSION_ADMITTED: return .admitted
        case CYBERMESH__V1__WIRE__ADMISSION_CODE__ADMISSION_DUPLICATE: return .duplicate
        case CYBERMESH__V1__WIRE__ADMISSION_CODE__ADMISSION_ALREADY_COMMITTED: return .alreadyCommitted
        case CYBERMESH__V1__WIRE__ADMISSION_CODE__ADMISSION_MEMPOOL_FULL: return .full
        case CYBERMESH__V1__WIRE__ADMISSION_CODE__ADMISSION_RATE_LIMITED: return .rateLimited
        case CYBERMESH__V1__WIRE__ADMISSION_CODE__ADMISSION_REJECTED:
            guard let reason = ProtobufFields.string(r.reason) else { throw Failure(kind: .submitResult, field: "results.reason") }
            return .rejected(reason)
        default: throw Failure(kind: .submitResult, field: "results.code")
        }
    }

    static func binaries(_ count: Int, _ items: UnsafeMutablePointer<ProtobufCBinaryData>?) -> [[UInt8]] {
        guard count > 0, let items else { return [] }
        return (0..<count).map { ProtobufFields.bytes(items[$0]) }
    }

    static func strings(_ count: Int, _ items: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?, _ kind: MessageKind, _ field: String) throws(Failure) -> [String] {
        guard count > 0, let items else { return [] }
        var out: [String] = []
        for index in 0..<count {
            guard let text = ProtobufFields.string(items[index]) else { throw Failure(kind: kind, field: field) }
            out.append(text)
        }
        return out
    }

    static func executedBlock(_ m: Cybermesh__V1__Wire__ExecutedBlock, _ kind: MessageKind) throws(Failure) -> ExecutedBlock {
        let committed = try ConsensusDecoding.committedBlock(try ConsensusDecoding.required(m.committed, kind, "committed"), kind)
        let rejections = try strings(m.n_rejections, m.rejections, kind, "rejections")
        guard rejections.count == committed.block.transactions.count else { throw Failure(kind: kind, field: "rejections") }
        return ExecutedBlock(
            committed: committed, stateRoot: try ConsensusDecoding.hash(m.state_root, kind, "state_root"),
            rejections: rejections.map { $0.isEmpty ? nil : $0 })
    }

    /// The service message in `envelope`, or nil when its body is another kind.
    static func message(in envelope: Cybermesh__V1__Wire__Envelope) throws(Failure) -> ServiceMessage? {
        switch envelope.body_case {
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_SUBMIT_EVENTS:
            let m = try ConsensusDecoding.required(envelope.submit_events, .submitEvents, "body")
            return .submitEvents(SubmitEvents(batchID: m.batch_id, events: binaries(m.n_events, m.events)))
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_SUBMIT_RESULT:
            let m = try ConsensusDecoding.required(envelope.submit_result, .submitResult, "body")
            let results = try ConsensusDecoding.list(m.n_results, m.results, .submitResult, "results") { (r) throws(Failure) -> EventAdmission in
                let id = ProtobufFields.bytes(r.tx_id)
                let transactionID = id.isEmpty ? nil : Hash32(bytes: id)
                guard id.isEmpty || transactionID != nil else { throw Failure(kind: .submitResult, field: "results.tx_id") }
                return EventAdmission(transactionID: transactionID, admission: try admission(r))
            }
            return .submitResult(SubmitResult(batchID: m.batch_id, results: results))
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_SUBSCRIBE_COMMITS:
            return .subscribeCommits(fromHeight: try ConsensusDecoding.required(envelope.subscribe_commits, .subscribeCommits, "body").from_height)
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_COMMIT_NOTICES:
            let m = try ConsensusDecoding.required(envelope.commit_notices, .commitNotices, "body")
            var ids: [Hash32] = []
            for bytes in binaries(m.n_tx_ids, m.tx_ids) {
                guard let id = Hash32(bytes: bytes) else { throw Failure(kind: .commitNotices, field: "tx_ids") }
                ids.append(id)
            }
            return .commitNotices(CommitNotices(
                height: m.height, blockHash: try ConsensusDecoding.hash(m.block_hash, .commitNotices, "block_hash"),
                blockTimeMs: m.block_time_ms, transactionIDs: ids))
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_SUBSCRIBE_BLOCKS:
            return .subscribeBlocks(fromHeight: try ConsensusDecoding.required(envelope.subscribe_blocks, .subscribeBlocks, "body").from_height)
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_BLOCK_STREAM:
            let m = try ConsensusDecoding.required(envelope.block_stream, .blockStream, "body")
            return .blockStream(try ConsensusDecoding.list(m.n_blocks, m.blocks, .blockStream, "blocks") { (b) throws(Failure) in
                try executedBlock(b, .blockStream)
            })
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_STATUS_QUERY:
            let m = try ConsensusDecoding.required(envelope.status_query, .statusQuery, "body")
            guard let path = ProtobufFields.string(m.path) else { throw Failure(kind: .statusQuery, field: "path") }
            return .statusQuery(StatusQuery(id: m.id, path: path))
        case CYBERMESH__V1__WIRE__ENVELOPE__BODY_STATUS_REPLY:
            let m = try ConsensusDecoding.required(envelope.status_reply, .statusReply, "body")
            return .statusReply(StatusReply(id: m.id, httpStatus: m.http_status, json: ProtobufFields.bytes(m.json)))
        default:
            return nil
        }
    }
}
