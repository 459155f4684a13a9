import ConsensusCore
import CyberMeshProto

/// The protobuf payloads of a validator's own files (proto/cybermesh/v1/storage.proto):
/// write-ahead log records, block store records and snapshots. Framing and
/// checksums are the file format's; this is only the encoding, kept in Wire
/// because Wire alone touches protobuf-c.
public enum StorageCodec {
    /// Why stored bytes do not decode. A checksummed record that does not
    /// decode means a bug or a file from another version, never a torn write.
    public struct DecodingError: Error, Equatable, Sendable, CustomStringConvertible {
        public let what: String
        public var description: String { "stored \(what) does not decode" }
    }

    // MARK: Write-ahead log

    /// A WAL record; nil for records that live elsewhere (committed blocks
    /// go to the block store, snapshots to the snapshot file).
    public static func encodeWAL(_ record: PersistRecord) -> [UInt8]? {
        let arena = ProtobufArena()
        let m = arena.message(Cybermesh__V1__Storage__WalRecord.self)
        cybermesh__v1__storage__wal_record__init(m)
        switch record {
        case let .genesis(certificate):
            m.pointee.record_case = CYBERMESH__V1__STORAGE__WAL_RECORD__RECORD_GENESIS
            m.pointee.genesis = ConsensusEncoding.certificate(certificate, arena)
        case let .enteredView(view):
            m.pointee.record_case = CYBERMESH__V1__STORAGE__WAL_RECORD__RECORD_ENTERED_VIEW
            m.pointee.entered_view = view
        case let .vote(vote):
            m.pointee.record_case = CYBERMESH__V1__STORAGE__WAL_RECORD__RECORD_VOTE
            m.pointee.vote = ConsensusEncoding.vote(vote, arena)
        case let .prepared(certificate):
            m.pointee.record_case = CYBERMESH__V1__STORAGE__WAL_RECORD__RECORD_PREPARED
            m.pointee.prepared = ConsensusEncoding.prepared(certificate, arena)
        case let .viewChange(change):
            m.pointee.record_case = CYBERMESH__V1__STORAGE__WAL_RECORD__RECORD_VIEW_CHANGE
            m.pointee.view_change = ConsensusEncoding.viewChange(change, arena)
        case let .proposed(mark):
            m.pointee.record_case = CYBERMESH__V1__STORAGE__WAL_RECORD__RECORD_PROPOSED
            let p = arena.message(Cybermesh__V1__Storage__ProposalMark.self)
            cybermesh__v1__storage__proposal_mark__init(p)
            p.pointee.view = mark.view
            p.pointee.height = mark.height
            p.pointee.block_hash = arena.binary(mark.blockHash.bytes)
            m.pointee.proposed = p
        case let .newView(newView):
            m.pointee.record_case = CYBERMESH__V1__STORAGE__WAL_RECORD__RECORD_NEW_VIEW
            m.pointee.new_view = ConsensusEncoding.newView(newView, arena)
        case .committed, .snapshot:
            return nil
        }
        let size = cybermesh__v1__storage__wal_record__get_packed_size(m)
        return packProtobuf(size: size) { cybermesh__v1__storage__wal_record__pack(m, $0) }
    }

    /// A WAL record, refused when a view or height in it is beyond
    /// `ConsensusLimits` (a file no validator of this chain could have written).
    public static func decodeWAL(_ bytes: [UInt8]) throws(DecodingError) -> PersistRecord {
        let record = try decodeWALShape(bytes)
        let field: String?
        switch record {
        case let .enteredView(view): field = view > ConsensusLimits.maximumView ? "entered_view" : nil
        case let .vote(vote): field = ConsensusMessage.vote(vote).outOfRangeField
        case let .prepared(certificate): field = ConsensusMessage.proposal(certificate.proposal).outOfRangeField
        case let .viewChange(change): field = ConsensusMessage.viewChange(change).outOfRangeField
        case let .proposed(mark):
            field = mark.view > ConsensusLimits.maximumView ? "proposed.view" : mark.height > ConsensusLimits.maximumHeight ? "proposed.height" : nil
        case let .newView(newView): field = ConsensusMessage.newView(newView).outOfRangeField
        case .genesis, .committed, .snapshot: field = nil
        }
        if let field { throw DecodingError(what: "WAL record (\(field) out of range)") }
        return record
    }

    private static func decodeWALShape(_ bytes: [UInt8]) throws(DecodingError) -> PersistRecord {
        let unpacked = bytes.withUnsafeBufferPointer { cybermesh__v1__storage__wal_record__unpack(nil, $0.count, $0.baseAddress) }
        guard let unpacked else { throw DecodingError(what: "WAL record") }
        defer { cybermesh__v1__storage__wal_record__free_unpacked(unpacked, nil) }
        let m = unpacked.pointee
        do {
            switch m.record_case {
            case CYBERMESH__V1__STORAGE__WAL_RECORD__RECORD_GENESIS:
                return .genesis(try ConsensusDecoding.certificate(try ConsensusDecoding.required(m.genesis, .genesisCertificate, "genesis")))
            case CYBERMESH__V1__STORAGE__WAL_RECORD__RECORD_ENTERED_VIEW:
                return .enteredView(m.entered_view)
            case CYBERMESH__V1__STORAGE__WAL_RECORD__RECORD_VOTE:
                return .vote(try ConsensusDecoding.vote(try ConsensusDecoding.required(m.vote, .vote, "vote"), .vote))
            case CYBERMESH__V1__STORAGE__WAL_RECORD__RECORD_PREPARED:
                return .prepared(try ConsensusDecoding.prepared(try ConsensusDecoding.required(m.prepared, .viewChange, "prepared"), .viewChange))
            case CYBERMESH__V1__STORAGE__WAL_RECORD__RECORD_VIEW_CHANGE:
                return .viewChange(try ConsensusDecoding.viewChange(try ConsensusDecoding.required(m.view_change, .viewChange, "view_change"), .viewChange))
            case CYBERMESH__V1__STORAGE__WAL_RECORD__RECORD_PROPOSED:
                let mark = try ConsensusDecoding.required(m.proposed, .proposal, "proposed")
                return .proposed(ProposalMark(view: mark.view, height: mark.height, blockHash: try ConsensusDecoding.hash(mark.block_hash, .proposal, "proposed.block_hash")))
            case CYBERMESH__V1__STORAGE__WAL_RECORD__RECORD_NEW_VIEW:
                return .newView(try ConsensusDecoding.newView(try ConsensusDecoding.required(m.new_view, .newView, "new_view")))
            default:
                throw DecodingError(what: "WAL record (unknown kind)")
            }
        } catch let error as DecodingError {
            throw error
        } catch {
            throw DecodingError(what: "WAL record")
        }
    }

    // MARK: Block store

    public static func encodeBlock(_ block: ExecutedBlock) -> [UInt8] {
        let arena = ProtobufArena()
        let m = ServiceEncoding.executedBlock(block, arena)
        let size = cybermesh__v1__wire__executed_block__get_packed_size(m)
        return packProtobuf(size: size) { cybermesh__v1__wire__executed_block__pack(m, $0) }
    }

    public static func decodeBlock(_ bytes: [UInt8]) throws(DecodingError) -> ExecutedBlock {
        let unpacked = bytes.withUnsafeBufferPointer { cybermesh__v1__wire__executed_block__unpack(nil, $0.count, $0.baseAddress) }
        guard let unpacked else { throw DecodingError(what: "block") }
        defer { cybermesh__v1__wire__executed_block__free_unpacked(unpacked, nil) }
        do {
            return try ServiceDecoding.executedBlock(unpacked.pointee, .blockStream)
        } catch {
            throw DecodingError(what: "block (\(error.field))")
        }
    }

    // MARK: Snapshots

    /// What a snapshot file holds; the daemon rebuilds the state from the entries.
    public struct SnapshotContents: Equatable, Sendable {
        public let checkpoint: StableCheckpoint
        public let block: CommittedBlock
        public let entries: [StateEntry]

        public init(checkpoint: StableCheckpoint, block: CommittedBlock, entries: [StateEntry]) {
            self.checkpoint = checkpoint
            self.block = block
            self.entries = entries
        }
    }

    public static func encodeSnapshot(_ contents: SnapshotContents) -> [UInt8] {
        let arena = ProtobufArena()
        let m = arena.message(Cybermesh__V1__Storage__Snapshot.self)
        cybermesh__v1__storage__snapshot__init(m)
        m.pointee.checkpoint = ConsensusEncoding.stableCheckpoint(contents.checkpoint, arena)
        m.pointee.block = ConsensusEncoding.committedBlock(contents.block, arena)
        m.pointee.n_entries = contents.entries.count
        m.pointee.entries = ConsensusEncoding.stateEntries(contents.entries, arena)
        let size = cybermesh__v1__storage__snapshot__get_packed_size(m)
        return packProtobuf(size: size) { cybermesh__v1__storage__snapshot__pack(m, $0) }
    }

    public static func decodeSnapshot(_ bytes: [UInt8]) throws(DecodingError) -> SnapshotContents {
        let unpacked = bytes.withUnsafeBufferPointer { cybermesh__v1__storage__snapshot__unpack(nil, $0.count, $0.baseAddress) }
        guard let unpacked else { throw DecodingError(what: "snapshot") }
        defer { cybermesh__v1__storage__snapshot__free_unpacked(unpacked, nil) }
        let m = unpacked.pointee
        do {
            let kind = MessageKind.snapshotChunk
            return SnapshotContents(
                checkpoint: try ConsensusDecoding.stableCheckpoint(try ConsensusDecoding.required(m.checkpoint, kind, "checkpoint"), kind),
                block: try ConsensusDecoding.committedBlock(try ConsensusDecoding.required(m.block, kind, "block"), kind),
                entries: try ConsensusDecoding.stateEntries(m.n_entries, m.entries, kind))
        } catch {
            throw DecodingError(what: "snapshot (\(error.field))")
        }
    }
}
