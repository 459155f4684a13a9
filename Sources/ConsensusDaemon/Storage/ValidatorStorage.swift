import ConsensusCore
import Dispatch
import Foundation
import Logging
import Synchronization
import Wire

/// A validator's data directory: the write-ahead log (`wal.log`: votes,
/// views, prepared certificates, the genesis certificate), the block store
/// (`blocks.log`: every committed block with its commit certificate, state
/// root and outcomes) and the latest snapshot (`snapshot.bin`).
///
/// The driver calls `persist` and `store` for what one batch of core steps
/// asked, then `sync()` once, and only then sends that batch's messages: a
/// vote never leaves the process before it is on disk (group commit).
final class ValidatorStorage {
    static let maximumRecordBytes = 64 * 1024 * 1024
    /// The log is rewritten from the live state once it grows past this.
    static let compactionBytes: UInt64 = 16 * 1024 * 1024

    let directory: String
    private let logger: Logger
    private let crypto: any ConsensusCrypto
    private let stateConfig: StateConfig
    private var wal: RecordFile
    private let blocks: RecordFile
    private var blockOffsets: [UInt64: UInt64] = [:]
    /// The highest height in the block store (0: none).
    private(set) var topHeight: UInt64 = 0
    /// The lowest height held (1 unless a state transfer skipped heights).
    private(set) var bottomHeight: UInt64 = 0
    /// What the core restarts from; nil for a new validator.
    let restored: PersistentState?
    /// The durable state as of the last `persist`, for compaction.
    private var mirror: PersistentState
    private var walDirty = false
    private var blocksDirty = false
    private let snapshotWriter: SnapshotWriter
    /// Repairs made on opening, for the startup log and tests.
    private(set) var repairs: [String] = []

    var walPath: String { directory + "/wal.log" }
    var blocksPath: String { directory + "/blocks.log" }
    var snapshotPath: String { directory + "/snapshot.bin" }

    private let localID: ValidatorID
    private let compactionThreshold: UInt64

    /// `compactionBytes`: the log is rewritten once it passes this size.
    init(
        directory: String, localID: ValidatorID, crypto: any ConsensusCrypto, stateConfig: StateConfig, logger: Logger,
        compactionBytes: UInt64 = ValidatorStorage.compactionBytes
    ) throws {
        self.compactionThreshold = compactionBytes
        self.directory = directory
        self.localID = localID
        self.logger = logger
        self.crypto = crypto
        self.stateConfig = stateConfig
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StorageError.io(path: directory, operation: "create directory", errno: EACCES)
        }
        var state = PersistentState()
        var anything = false

        // 1. The write-ahead log: votes, views, prepared certificates, genesis.
        let walPath = directory + "/wal.log"
        let (wal, walRepair) = try RecordFile.open(path: walPath, maximumRecordBytes: Self.maximumRecordBytes, logger: logger) { offset, payload in
            do {
                state.apply(try StorageCodec.decodeWAL(payload))
                anything = true
            } catch {
                throw StorageError.undecodable(path: walPath, offset: offset, detail: "\(error)")
            }
        }
        self.wal = wal
        if let walRepair { repairs.append("wal.log: \(walRepair)") }

        // 2. The snapshot, if one was written.
        let snapshotPath = directory + "/snapshot.bin"
        if let bytes = try AtomicFile.read(snapshotPath) {
            let snapshot = try Self.loadSnapshot(bytes, path: snapshotPath, crypto: crypto, stateConfig: stateConfig)
            state.apply(.snapshot(snapshot))
            anything = true
            logger.info("snapshot loaded", metadata: ["height": "\(snapshot.height)", "entries": "\(snapshot.state.entryCount)"])
        }

        // 3. The block store: index every block; replay those above the snapshot.
        let blocksPath = directory + "/blocks.log"
        var offsets: [UInt64: UInt64] = [:]
        var top: UInt64 = 0
        var bottom: UInt64 = 0
        var replay: [CommittedBlock] = []
        let snapshotHeight = state.snapshot?.height ?? 0
        let (blocks, blocksRepair) = try RecordFile.open(path: blocksPath, maximumRecordBytes: Self.maximumRecordBytes, logger: logger) { offset, payload in
            let block: ExecutedBlock
            do {
                block = try StorageCodec.decodeBlock(payload)
            } catch {
                throw StorageError.undecodable(path: blocksPath, offset: offset, detail: "\(error)")
            }
            guard block.height > top else {
                throw StorageError.inconsistent(path: blocksPath, detail: "block \(block.height) after block \(top)")
            }
            offsets[block.height] = offset
            if bottom == 0 { bottom = block.height }
            top = block.height
            if block.height > snapshotHeight { replay.append(block.committed) }
        }
        self.blocks = blocks
        if let blocksRepair { repairs.append("blocks.log: \(blocksRepair)") }
        for block in replay where block.height == state.committedHeight + 1 { state.apply(.committed(block)) }
        if let last = replay.last, last.height > state.committedHeight {
            logger.warning("block store has a gap above the restored height; the validator will catch up from its peers", metadata: [
                "restored_height": "\(state.committedHeight)", "stored_top": "\(last.height)",
            ])
        }
        anything = anything || !offsets.isEmpty
        blockOffsets = offsets
        topHeight = top
        bottomHeight = bottom
        restored = anything ? state : nil
        mirror = state
        snapshotWriter = SnapshotWriter(path: snapshotPath, logger: logger, durableHeight: state.snapshot?.height ?? 0)
    }

    private static func loadSnapshot(_ bytes: [UInt8], path: String, crypto: any ConsensusCrypto, stateConfig: StateConfig) throws -> StateSnapshot {
        let contents: StorageCodec.SnapshotContents
        do {
            contents = try StorageCodec.decodeSnapshot(bytes)
        } catch {
            throw StorageError.undecodable(path: path, offset: 0, detail: error.description)
        }
        var state: LedgerState
        do {
            state = try LedgerState(height: contents.checkpoint.height, entries: contents.entries, config: stateConfig, crypto: crypto)
        } catch {
            throw StorageError.undecodable(path: path, offset: 0, detail: "\(error)")
        }
        let root = state.root()
        guard root == contents.checkpoint.stateRoot else {
            throw StorageError.inconsistent(path: path, detail: "the entries hash to \(root.short), the checkpoint says \(contents.checkpoint.stateRoot.short)")
        }
        return StateSnapshot(checkpoint: contents.checkpoint, block: contents.block, state: state)
    }

    /// Records what the core asked to make durable (not yet synced).
    func persist(_ record: PersistRecord) throws {
        mirror.apply(record)
        if case let .snapshot(snapshot) = record {
            snapshotWriter.offer(snapshot)
            return
        }
        guard let payload = StorageCodec.encodeWAL(record) else { return }
        try wal.append(payload)
        walDirty = true
    }

    /// Appends a committed block to the block store (not yet synced).
    func store(_ block: ExecutedBlock) throws {
        guard block.height > topHeight else { return }
        blockOffsets[block.height] = try blocks.append(StorageCodec.encodeBlock(block))
        if bottomHeight == 0 { bottomHeight = block.height }
        topHeight = block.height
        blocksDirty = true
    }

    /// Makes everything persisted and stored so far durable; compacts the
    /// log when it has grown.
    func sync() throws {
        if blocksDirty {
            try blocks.sync()
            blocksDirty = false
        }
        if walDirty {
            try wal.sync()
            walDirty = false
        }
        if wal.size > compactionThreshold { try compact() }
    }

    /// A stored block, or nil when this validator does not hold that height.
    func block(at height: UInt64) throws -> ExecutedBlock? {
        guard let offset = blockOffsets[height] else { return nil }
        do {
            return try StorageCodec.decodeBlock(try blocks.record(at: offset))
        } catch let error as StorageCodec.DecodingError {
            throw StorageError.undecodable(path: blocksPath, offset: offset, detail: "\(error)")
        }
    }

    /// Rewrites the log as the few records that still matter.
    ///
    /// Not while the snapshot the mirror was pruned at is still unwritten
    /// (its writer runs on its own thread and may fail): the votes and
    /// marks below it would be gone from the log while the disk cannot yet
    /// restart above them (found by an attacker's review: a snapshot from
    /// peers skips heights the block store does not hold).
    private func compact() throws {
        guard snapshotWriter.durableHeight >= mirror.snapshot?.height ?? 0 else { return }
        var records: [PersistRecord] = []
        if let certificate = mirror.genesisCertificate { records.append(.genesis(certificate)) }
        records.append(.enteredView(mirror.view))
        if let newView = mirror.lastNewView { records.append(.newView(newView)) }
        records += mirror.proposed.keys.sorted().compactMap { mirror.proposed[$0].map { .proposed($0) } }
        // Only (phase, view, height) -> block hash of a sent vote matters on
        // restart (never vote differently); the signature is not kept.
        for (slot, hash) in mirror.sentVotes.sorted(by: { ($0.key.height, $0.key.view) < ($1.key.height, $1.key.view) }) {
            records.append(.vote(Vote(phase: slot.phase, view: slot.view, height: slot.height, blockHash: hash, voter: localID, signature: [])))
        }
        records += mirror.prepared.keys.sorted().compactMap { mirror.prepared[$0].map { .prepared($0) } }
        if let change = mirror.lastViewChange { records.append(.viewChange(change)) }
        // The rewritten log is durable once renamed: it ends in a sync marker.
        let bytes = RecordFile.syncedContents(of: records.compactMap { StorageCodec.encodeWAL($0) })
        let before = wal.size
        try AtomicFile.write(bytes, to: walPath)
        (wal, _) = try RecordFile.open(path: walPath, maximumRecordBytes: Self.maximumRecordBytes, logger: logger) { _, _ in }
        logger.info("write-ahead log compacted", metadata: ["bytes_before": "\(before)", "bytes_after": "\(wal.size)", "records": "\(records.count)"])
    }

    /// Waits for a snapshot being written (tests and shutdown).
    func waitForSnapshotWriter() { snapshotWriter.waitIdle() }
}

/// Writes snapshots on its own thread: exporting and encoding the state is
/// O(state) and must not hold up consensus. At most one write runs; a newer
/// snapshot offered meanwhile replaces a waiting one. A crash mid-write
/// leaves the previous file (atomic rename), and the restart replays the
/// blocks above it from the block store.
final class SnapshotWriter: Sendable {
    private let path: String
    private let logger: Logger
    private let pending = Mutex<(next: StateSnapshot?, busy: Bool)>((nil, false))
    private let idle = DispatchSemaphore(value: 1)
    private let durable: Atomic<UInt64>

    /// `durableHeight`: the height of the snapshot already on disk (0: none).
    init(path: String, logger: Logger, durableHeight: UInt64) {
        self.path = path
        self.logger = logger
        durable = Atomic(durableHeight)
    }

    /// The height of the newest snapshot on disk (written and renamed).
    var durableHeight: UInt64 { durable.load(ordering: .acquiring) }

    func offer(_ snapshot: StateSnapshot) {
        let start = pending.withLock { state -> Bool in
            state.next = snapshot
            guard !state.busy else { return false }
            state.busy = true
            return true
        }
        guard start else { return }
        idle.wait()
        let thread = Thread { [self] in
            while let next = pending.withLock({ state -> StateSnapshot? in
                let next = state.next
                state.next = nil
                if next == nil { state.busy = false }
                return next
            }) {
                write(next)
            }
            idle.signal()
        }
        thread.name = "snapshot-writer"
        thread.start()
    }

    func waitIdle() {
        idle.wait()
        idle.signal()
    }

    private func write(_ snapshot: StateSnapshot) {
        let started = ContinuousClock.now
        let bytes = StorageCodec.encodeSnapshot(.init(checkpoint: snapshot.checkpoint, block: snapshot.block, entries: snapshot.state.entries()))
        do {
            try AtomicFile.write(bytes, to: path)
            durable.store(snapshot.height, ordering: .releasing)
            logger.info("snapshot written", metadata: [
                "height": "\(snapshot.height)", "bytes": "\(bytes.count)", "ms": "\((ContinuousClock.now - started).milliseconds)",
            ])
        } catch {
            logger.error("snapshot not written; the previous one stays", metadata: ["height": "\(snapshot.height)", "error": "\(error)"])
        }
    }
}

extension Duration {
    var milliseconds: Int64 { components.seconds * 1_000 + components.attoseconds / 1_000_000_000_000_000 }
}
