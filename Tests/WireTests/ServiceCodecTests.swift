import ConsensusCore
import Testing
@testable import Wire

/// The validator's service messages and storage records survive encoding,
/// and malformed ones are refused with the field they break.
@Suite struct ServiceCodecTests {
    static func executedBlock() throws -> ExecutedBlock {
        let c = try ConsensusCodecTests.Cluster()
        let transactions = (0..<2).map { Transaction(id: c.crypto.hash([UInt8($0)]), payload: [UInt8($0), 1, 2]) }
        let block = Block.make(height: 1, previousHash: c.anchor, proposer: 1, timestampMs: 10, transactions: transactions, results: .genesis(crypto: c.crypto), crypto: c.crypto)
        let hash = block.hash(c.crypto)
        return ExecutedBlock(
            committed: CommittedBlock(block: block, blockHash: hash, certificate: c.votes(.commit, view: 0, height: 1, hash: hash)),
            stateRoot: c.crypto.hash([7]), rejections: [nil, "duplicate_nonce"])
    }

    @Test func everyServiceMessageSurvivesTheWire() throws {
        let id = SodiumConsensusCrypto().hash([1])
        let messages: [ServiceMessage] = [
            .submitEvents(SubmitEvents(batchID: 9, events: [[1, 2, 3], [], Array(repeating: 0xFF, count: 70_000)])),
            .submitResult(SubmitResult(batchID: 9, results: [
                EventAdmission(transactionID: id, admission: .admitted), EventAdmission(transactionID: id, admission: .duplicate),
                EventAdmission(transactionID: id, admission: .alreadyCommitted), EventAdmission(transactionID: id, admission: .full),
                EventAdmission(transactionID: id, admission: .rateLimited),
                EventAdmission(transactionID: nil, admission: .rejected("malformed: not a SignedEvent")),
            ])),
            .subscribeCommits(fromHeight: 0), .subscribeCommits(fromHeight: 42),
            .commitNotices(CommitNotices(height: 3, blockHash: id, blockTimeMs: 1_767_225_600_000, transactionIDs: [id, id])),
            .subscribeBlocks(fromHeight: 1),
            .blockStream([try Self.executedBlock()]),
            .statusQuery(StatusQuery(id: 5, path: "/blocks/12")),
            .statusReply(StatusReply(id: 5, httpStatus: 404, json: Array(#"{"error":{}}"#.utf8))),
        ]
        for message in messages {
            let decoded = try EnvelopeCodec.decode(EnvelopeCodec.encode(.service(message)))
            #expect(decoded == .service(message))
        }
        #expect(Set(messages.map { WireMessage.service($0).kind }) == MessageKind.services)
    }

    @Test func aCommitNoticeWithAShortTransactionIDIsRefusedNamingTheField() throws {
        // Envelope{version 1, commit_notices(43){height 1, block_hash 32 bytes, tx_ids [31 bytes]}}, by hand.
        let notice: [UInt8] = [0x08, 0x01, 0x12, 0x20] + Array(repeating: 0xAA, count: 32) + [0x22, 0x1F] + Array(repeating: 0xBB, count: 31)
        let envelope: [UInt8] = [0x08, 0x01, 0xDA, 0x02, UInt8(notice.count)] + notice
        #expect(throws: EnvelopeError.invalidField(kind: .commitNotices, field: "tx_ids")) { try EnvelopeCodec.decode(envelope) }
        // The same with a 32-byte id decodes.
        let good: [UInt8] = [0x08, 0x01, 0x12, 0x20] + Array(repeating: 0xAA, count: 32) + [0x22, 0x20] + Array(repeating: 0xBB, count: 32)
        let decoded = try EnvelopeCodec.decode([0x08, 0x01, 0xDA, 0x02, UInt8(good.count)] + good)
        guard case let .service(.commitNotices(notices)) = decoded else {
            Issue.record("decoded \(decoded)")
            return
        }
        #expect(notices.transactionIDs.count == 1)
    }

    @Test func anExecutedBlockWhoseOutcomesDoNotMatchItsTransactionsIsRefused() throws {
        var block = try Self.executedBlock()
        block.rejections = [nil]
        #expect(throws: StorageCodec.DecodingError.self) { try StorageCodec.decodeBlock(StorageCodec.encodeBlock(block)) }
    }

    @Test func storageRecordsRoundTripAndGarbageIsADecodingError() throws {
        let c = try ConsensusCodecTests.Cluster()
        let vote = Vote.make(phase: .prepare, view: 3, height: 9, blockHash: c.crypto.hash([9]), voter: 2, signer: c.signer(2))
        var records = [PersistRecord.enteredView(7), .vote(vote)]
        for message in try ConsensusCodecTests.messages() {
            switch message {
            case let .proposal(proposal):
                records.append(.proposed(ProposalMark(view: proposal.view, height: proposal.block.height, blockHash: proposal.blockHash)))
            case let .newView(newView): records.append(.newView(newView))
            default: break
            }
        }
        #expect(records.count >= 4, "a leader's own proposal and an entered NewView are WAL records too")
        for record in records {
            let bytes = try #require(StorageCodec.encodeWAL(record))
            #expect(try StorageCodec.decodeWAL(bytes) == record)
        }
        let block = try Self.executedBlock()
        #expect(try StorageCodec.decodeBlock(StorageCodec.encodeBlock(block)) == block)
        #expect(StorageCodec.encodeWAL(.committed(block.committed)) == nil)
        for garbage: [UInt8] in [[0xFF, 0xFF, 0xFF], [0x0A, 0x05, 1], []] {
            #expect(throws: StorageCodec.DecodingError.self) { try StorageCodec.decodeWAL(garbage) }
        }
        #expect(throws: StorageCodec.DecodingError.self) { try StorageCodec.decodeBlock([0x0A, 0x80]) }
    }
}
