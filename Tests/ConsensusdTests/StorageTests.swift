import ConsensusCore
import Foundation
import Logging
import Testing
import Wire
@testable import ConsensusDaemon

/// The validator's files: checksummed records, torn tails repaired and
/// reported, restart state rebuilt from the log, the block store and the
/// snapshot.
@Suite struct StorageTests {
    static let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }

    static func temporaryDirectory() -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cybermesh-storage-\(UUID().uuidString.prefix(8))").path
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func append(_ bytes: [UInt8], to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.seekToEndOfFile()
        handle.write(Data(bytes))
        try handle.close()
    }

    static func open(_ path: String) throws -> (RecordFile, RecordFile.TailRepair?, [[UInt8]]) {
        var records: [[UInt8]] = []
        let (file, repair) = try RecordFile.open(path: path, maximumRecordBytes: 1 << 20, logger: logger) { _, payload in records.append(payload) }
        return (file, repair, records)
    }

    @Test func recordsSurviveAReopenInOrder() throws {
        let path = Self.temporaryDirectory() + "/records.log"
        let (file, _, _) = try Self.open(path)
        for payload: [UInt8] in [[1], [0, 0], Array(repeating: 7, count: 5_000)] { try file.append(payload) }
        #expect(throws: StorageError.self) { try file.append([]) }
        #expect(throws: StorageError.self) { try file.append([0] + Array(repeating: 1, count: 12)) }
        try file.sync()
        let (_, repair, records) = try Self.open(path)
        #expect(repair == nil)
        #expect(records == [[1], [0, 0], Array(repeating: 7, count: 5_000)])
    }

    @Test(arguments: [
        ("a short record header", [0x00, 0x00, 0x00] as [UInt8]),
        ("cut short", [0x00, 0x00, 0x00, 0x10, 0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02]),
        ("a checksum mismatch in a 2-byte record", [0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x05, 0x06]),
        ("zeros where a record should be", [UInt8](repeating: 0, count: 4_096)),
        ("records after the last sync", RecordFile.frame([7, 7]) + RecordFile.frame([8])),
    ])
    func aTornTailIsTruncatedToTheLastGoodRecordAndReported(_ reason: String, _ tail: [UInt8]) throws {
        let path = Self.temporaryDirectory() + "/records.log"
        let (file, _, _) = try Self.open(path)
        try file.append([1, 2, 3])
        try file.append([4, 5])
        try file.sync()
        let good = file.size
        try Self.append(tail, to: path)
        let (reopened, repair, records) = try Self.open(path)
        #expect(records == [[1, 2, 3], [4, 5]])
        let found = try #require(repair)
        #expect(found.goodBytes == good)
        #expect(found.droppedBytes == UInt64(tail.count))
        #expect(found.reason.contains(reason))
        #expect(reopened.size == good)
        try reopened.append([9])
        try reopened.sync()
        #expect(try Self.open(path).2 == [[1, 2, 3], [4, 5], [9]])
    }

    /// Only the last group commit can be torn by a crash. Before the fix a
    /// flipped bit in the middle of the log truncated everything after it:
    /// the validator restarted without the votes it had sent, free to vote
    /// again differently.
    @Test(arguments: [
        ("a flipped bit mid-log", 0 as UInt8),
        ("a length over the limit", 1 as UInt8),
        ("a length flipped past the end of the file", 2 as UInt8),
    ])
    func damageBeforeTheFinalRecordIsCorruptionAndOpeningFailsNamingFileAndOffset(_ name: String, _ kind: UInt8) throws {
        let path = Self.temporaryDirectory() + "/records.log"
        let (file, _, _) = try Self.open(path)
        // Three group commits: damage in the second, with the third's valid marker after it.
        try file.append([1, 2, 3])
        try file.sync()
        let second = try file.append([4, 5, 6, 7])
        try file.sync()
        try file.append([8, 9])
        try file.sync()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        switch kind {
        case 0: bytes[Int(second) + RecordFile.headerBytes + 1] ^= 0x10
        case 1: bytes[Int(second)] = 0x7F
        default: bytes[Int(second) + 2] ^= 0x01
        }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        do {
            _ = try Self.open(path)
            Issue.record("\(name): opened a corrupt file")
        } catch let StorageError.corrupt(errorPath, offset, _) {
            #expect(errorPath == path)
            #expect(offset == second)
            let message = "\(StorageError.corrupt(path: errorPath, offset: offset, detail: "x"))"
            #expect(message.contains("at byte \(second)") && message.contains("docs/validator.md"))
        }
        // Nothing was truncated: the operator still has every byte.
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == bytes.count)
    }

    /// A power cut during a group commit can write later pages of the
    /// unsynced batch and not earlier ones. Nothing in it was acted on, so
    /// it is dropped, not taken for corruption (an attacker's review found
    /// the validator refusing to start after an ordinary crash).
    @Test func aHoleInTheUnsyncedTailIsDroppedNotTakenForCorruption() throws {
        let path = Self.temporaryDirectory() + "/records.log"
        let (file, _, _) = try Self.open(path)
        try file.append([1, 2, 3])
        try file.sync()
        let synced = file.size
        try file.append(Array(repeating: 4, count: 100))
        try file.append([5, 6])
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for index in Int(synced)..<Int(synced) + 40 { bytes[index] = 0 }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (reopened, repair, records) = try Self.open(path)
        #expect(records == [[1, 2, 3]])
        #expect(repair?.goodBytes == synced)
        #expect(reopened.size == synced)
    }

    /// A power cut during the fdatasync of a group commit can keep a later
    /// page (a record and the batch's marker) and lose an earlier one: the
    /// marker no longer matches its batch, so the batch counts as torn,
    /// not corrupt (an attacker's review found a validator refusing to
    /// start after such a crash when markers did not check their batch).
    @Test func aMarkerWhoseBatchLostAPageIsTornNotCorruption() throws {
        let path = Self.temporaryDirectory() + "/records.log"
        let (file, _, _) = try Self.open(path)
        try file.append([1, 2, 3])
        try file.sync()
        let synced = file.size
        try file.append(Array(repeating: 4, count: 100))
        try file.append([5, 6])
        try file.sync()
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        for index in Int(synced) + RecordFile.headerBytes..<Int(synced) + RecordFile.headerBytes + 50 { bytes[index] = 0 }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (_, repair, records) = try Self.open(path)
        #expect(records == [[1, 2, 3]])
        #expect(repair?.goodBytes == synced)
    }

    /// A record can carry any bytes (an event's nonce is the producer's
    /// choice): a payload shaped like a marker is refused at append, and a
    /// marker's batch checksum cannot be forged in advance anyway.
    @Test func aFileWithoutMarkersFromAnOlderVersionKeepsAllItsRecords() throws {
        let path = Self.temporaryDirectory() + "/records.log"
        let legacy = RecordFile.frame([1]) + RecordFile.frame([2, 2]) + RecordFile.frame([3, 3, 3])
        try Data(legacy).write(to: URL(fileURLWithPath: path))
        let (file, repair, records) = try Self.open(path)
        #expect(repair == nil)
        #expect(records == [[1], [2, 2], [3, 3, 3]])
        try file.append([4])
        try file.sync()
        #expect(try Self.open(path).2 == [[1], [2, 2], [3, 3, 3], [4]])
    }

    @Test func aRestartRebuildsVotesViewsAndCommittedBlocksAndRepairsATornBlockStore() throws {
        let directory = Self.temporaryDirectory()
        let crypto = SodiumConsensusCrypto()
        let key = try Ed25519.SigningKey(seed: Array(repeating: 3, count: 32))
        let signer = SodiumMessageSigner(key: key)
        var storage: ValidatorStorage? = try ValidatorStorage(directory: directory, localID: 1, crypto: crypto, stateConfig: StateConfig(), logger: Self.logger)
        #expect(storage?.restored == nil)
        var previous = crypto.hash([0])
        for height in UInt64(1)...3 {
            let block = Block.make(height: height, previousHash: previous, proposer: 1, timestampMs: Int64(height), transactions: [], results: .genesis(crypto: crypto), crypto: crypto)
            let hash = block.hash(crypto)
            let vote = Vote.make(phase: .commit, view: 0, height: height, blockHash: hash, voter: 1, signer: signer)
            try storage?.persist(.vote(vote))
            try storage?.store(ExecutedBlock(committed: CommittedBlock(block: block, blockHash: hash, certificate: QuorumCertificate(votes: [vote])), stateRoot: .zero, rejections: []))
            previous = hash
        }
        try storage?.persist(.enteredView(2))
        try storage?.sync()
        storage = nil
        let reopened = try ValidatorStorage(directory: directory, localID: 1, crypto: crypto, stateConfig: StateConfig(), logger: Self.logger)
        let restored = try #require(reopened.restored)
        #expect(restored.view == 2)
        #expect(restored.committedHeight == 3)
        #expect(reopened.topHeight == 3)
        #expect(try reopened.block(at: 2)?.height == 2)
        #expect(try reopened.block(at: 4) == nil)
        // A crash in the middle of appending block 4:
        try Self.append(Array(RecordFile.frame(Array(repeating: 1, count: 100)).prefix(50)), to: reopened.blocksPath)
        let repaired = try ValidatorStorage(directory: directory, localID: 1, crypto: crypto, stateConfig: StateConfig(), logger: Self.logger)
        #expect(repaired.repairs.count == 1)
        #expect(repaired.restored?.committedHeight == 3)
    }

    @Test func aChecksummedRecordThatDoesNotDecodeStopsStartupNamingTheFile() throws {
        let directory = Self.temporaryDirectory()
        let (file, _, _) = try Self.open(directory + "/wal.log")
        try file.append([0xFF, 0xFF, 0xFF])
        try file.sync()
        #expect {
            _ = try ValidatorStorage(directory: directory, localID: 1, crypto: SodiumConsensusCrypto(), stateConfig: StateConfig(), logger: Self.logger)
        } throws: { error in
            "\(error)".contains("wal.log at byte 0")
        }
    }

    static func hash(_ height: UInt64) -> Hash32 { Hash32(bytes: Array(repeating: UInt8(height % 251), count: 32))! }

    static func commitVote(at height: UInt64, in state: PersistentState) -> Hash32? {
        state.sentVotes.first { $0.key.phase == .commit && $0.key.height == height && $0.key.view == 0 }?.value
    }

    /// Votes for heights 1...`to` in view 0 (prepare and commit), persisted and synced one height at a time.
    static func vote(_ storage: ValidatorStorage, heights: ClosedRange<UInt64>, signer: SodiumMessageSigner) throws {
        for height in heights {
            for phase in [VotePhase.prepare, .commit] {
                try storage.persist(.vote(Vote.make(phase: phase, view: 0, height: height, blockHash: Self.hash(height), voter: 1, signer: signer)))
            }
            try storage.sync()
        }
    }

    @Test func aCompactedLogReopensToTheSameVotesAndView() throws {
        let directory = Self.temporaryDirectory()
        let signer = SodiumMessageSigner(key: try Ed25519.SigningKey(seed: Array(repeating: 5, count: 32)))
        var storage: ValidatorStorage? = try ValidatorStorage(
            directory: directory, localID: 1, crypto: SodiumConsensusCrypto(), stateConfig: StateConfig(), logger: Self.logger, compactionBytes: 4_096)
        try storage?.persist(.enteredView(3))
        try Self.vote(storage!, heights: 1...200, signer: signer)
        let size = try FileManager.default.attributesOfItem(atPath: directory + "/wal.log")[.size] as? Int ?? 0
        #expect(size < 200 * 2 * 100, "the log was compacted (\(size) bytes)")
        storage = nil
        let reopened = try ValidatorStorage(directory: directory, localID: 1, crypto: SodiumConsensusCrypto(), stateConfig: StateConfig(), logger: Self.logger)
        let restored = try #require(reopened.restored)
        #expect(restored.view == 3)
        #expect(restored.sentVotes.count == 400)
        #expect(Self.commitVote(at: 17, in: restored) == Self.hash(17))
    }

    @Test func theLogKeepsItsVotesWhileTheSnapshotItWouldBeCompactedAtIsNotOnDisk() throws {
        let directory = Self.temporaryDirectory()
        let crypto = SodiumConsensusCrypto()
        let signer = SodiumMessageSigner(key: try Ed25519.SigningKey(seed: Array(repeating: 5, count: 32)))
        var storage: ValidatorStorage? = try ValidatorStorage(
            directory: directory, localID: 1, crypto: crypto, stateConfig: StateConfig(), logger: Self.logger, compactionBytes: 4_096)
        // The snapshot cannot be written: a directory stands where it goes.
        try FileManager.default.createDirectory(atPath: directory + "/snapshot.bin", withIntermediateDirectories: false)
        try Self.vote(storage!, heights: 1...40, signer: signer)
        // A snapshot from peers at height 40 (this validator stores no block below it).
        var ledger = LedgerState(crypto: crypto)
        let block = Block.make(height: 40, previousHash: .zero, proposer: 2, timestampMs: 40, transactions: [], results: .genesis(crypto: crypto), crypto: crypto)
        let hash = block.hash(crypto)
        let certificate = QuorumCertificate(votes: [Vote.make(phase: .commit, view: 0, height: 40, blockHash: hash, voter: 1, signer: signer)])
        let checkpoint = Checkpoint.make(height: 40, blockHash: hash, blockTimestampMs: 40, stateRoot: ledger.root(), voter: 1, signer: signer)
        try storage?.persist(.snapshot(StateSnapshot(
            checkpoint: StableCheckpoint(checkpoints: [checkpoint]), block: CommittedBlock(block: block, blockHash: hash, certificate: certificate), state: ledger)))
        storage?.waitForSnapshotWriter()
        // Enough more votes to pass the compaction size many times.
        try Self.vote(storage!, heights: 41...120, signer: signer)
        storage = nil
        try FileManager.default.removeItem(atPath: directory + "/snapshot.bin")
        let reopened = try ValidatorStorage(directory: directory, localID: 1, crypto: crypto, stateConfig: StateConfig(), logger: Self.logger)
        let restored = try #require(reopened.restored)
        #expect(restored.snapshot == nil)
        // Without a snapshot on disk, the votes below it are all it has.
        #expect(Self.commitVote(at: 17, in: restored) == Self.hash(17))
        #expect(restored.sentVotes.count == 240)
    }
}
