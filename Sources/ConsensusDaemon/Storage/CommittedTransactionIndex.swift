import ConsensusCore
import Foundation
import Glibc
import Logging
import Synchronization

/// Every transaction id this validator committed, on disk, so that it
/// answers `already_committed` for an event committed long ago, not only
/// inside the nonce TTL the state machine remembers (ARCHITECTURE §7): an
/// ingestor restarted after any pause learns what was committed while it
/// was away instead of dead-lettering it as stale.
///
/// Ids are filed by the event's own timestamp, in windows of two minutes
/// (`txindex/<window start ms>`): a lookup names the event, hence its
/// window, and reads one file. A recent window is an append-only `.log`
/// (scanned, a few MiB at most); once no block can add to it in the normal
/// course, it is sealed into a sorted `.sorted` file (binary search). A
/// block may still carry an ancient event (a Byzantine leader's choice, its
/// outcome a rejection): it lands in a fresh `.log` next to the sealed
/// file, and both are consulted. Memory holds nothing but open files.
///
/// Durability: the block store is the truth. `indexed-height` names the
/// height up to which every id is durable here; on opening, the driver
/// re-adds the blocks above it (duplicates are harmless). Sealed windows
/// older than the retention are deleted: the index needs to reach back only
/// as far as Kafka keeps records an ingestor might read again.
final class CommittedTransactionIndex: Sendable {
    static let windowMs: Int64 = 120_000
    static let idBytes = 32

    let directory: String
    /// Sealed windows are kept this long past the newest block's time.
    let retentionMs: Int64
    /// A window is sealed once the newest block's time is this far past its end.
    let sealMarginMs: Int64
    private let logger: Logger
    private let state: Mutex<State>

    private struct State {
        var logs: [Int64: Int32] = [:]
        var indexedHeight: UInt64
        var heightsSinceDurable = 0
        /// Set by a failed append: `indexed-height` no longer advances, so
        /// the next start re-adds every block from before the failure.
        var failedAt: UInt64?
    }

    init(directory: String, retentionMs: Int64, sealMarginMs: Int64, logger: Logger) throws {
        self.directory = directory
        self.retentionMs = retentionMs
        self.sealMarginMs = sealMarginMs
        self.logger = logger
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var height: UInt64 = 0
        if let bytes = try AtomicFile.read(directory + "/indexed-height"),
           let parsed = UInt64(String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) {
            height = parsed
        }
        var initial = State(indexedHeight: height)
        // Logs left by an earlier run (a crash between a seal's write and its
        // unlink, or windows not yet sealed) are opened, so they get sealed.
        for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] where name.hasSuffix(".log") {
            guard let window = Int64(name.dropLast(".log".count)) else { continue }
            _ = try Self.openLog(path: "\(directory)/\(name)", window: window, &initial)
        }
        state = Mutex(initial)
    }

    deinit {
        state.withLock { state in for fd in state.logs.values { Glibc.close(fd) } }
    }

    /// The height up to which every committed id is durable here.
    var indexedHeight: UInt64 { state.withLock { $0.indexedHeight } }

    /// Adds one committed block's transaction ids (with their events'
    /// timestamps). Appends are made durable every `durableEvery` blocks
    /// and at each seal; what a crash loses above `indexedHeight` is re-added
    /// from the block store.
    func add(height: UInt64, blockTimeMs: Int64, entries: [(id: Hash32, timestampMs: Int64)], durableEvery: Int = 64) throws {
        try state.withLock { state in
            guard height > state.indexedHeight else { return }
            do {
                try append(height: height, blockTimeMs: blockTimeMs, entries: entries, durableEvery: durableEvery, &state)
            } catch {
                if state.failedAt == nil { state.failedAt = height }
                throw error
            }
        }
    }

    private func append(height: UInt64, blockTimeMs: Int64, entries: [(id: Hash32, timestampMs: Int64)], durableEvery: Int, _ state: inout State) throws {
        var byWindow: [Int64: [UInt8]] = [:]
        for entry in entries { byWindow[Self.window(of: entry.timestampMs), default: []] += entry.id.bytes }
        for (window, bytes) in byWindow {
            let path = logPath(window)
            let fd = try state.logs[window] ?? Self.openLog(path: path, window: window, &state)
            let size = lseek(fd, 0, SEEK_END)
            do {
                try AtomicFile.writeAll(fd, bytes, path: path, operation: "append index log")
            } catch {
                // Never leave part of an id behind: later appends would be
                // misaligned. If even the cut fails, stop using this
                // descriptor: reopening cuts the torn tail off.
                if ftruncate(fd, size) != 0 {
                    state.logs[window] = nil
                    Glibc.close(fd)
                }
                throw error
            }
        }
        state.heightsSinceDurable += 1
        let sealable = state.logs.keys.filter { $0 &+ Self.windowMs &+ sealMarginMs < blockTimeMs }
        guard !sealable.isEmpty || state.heightsSinceDurable >= durableEvery else { return }
        for fd in state.logs.values where fsync(fd) != 0 { throw StorageError.io(path: directory, operation: "fsync index log", errno: errno) }
        for window in sealable.sorted() { try seal(window, &state) }
        state.heightsSinceDurable = 0
        try expire(before: blockTimeMs &- retentionMs)
        guard state.failedAt == nil else { return }
        try AtomicFile.write(Array("\(height)\n".utf8), to: directory + "/indexed-height")
        state.indexedHeight = height
    }

    /// Whether this validator committed `id`, an event stamped `timestampMs`.
    /// Reads the files without the lock, so a lookup never holds up the
    /// driver's appends: the log first, then the sorted file, because a seal
    /// writes the sorted file before it removes the log (no moment when
    /// neither holds an id). An id being appended right now may be missed.
    func contains(_ id: Hash32, timestampMs: Int64) -> Bool {
        let window = Self.window(of: timestampMs)
        let needle = id.bytes
        return Self.scanLog(path: logPath(window), needle) || Self.searchSorted(path: sortedPath(window), needle)
    }

    // MARK: Files

    /// The window of a timestamp. Timestamps beyond ±2^62 ms (any event
    /// with one is refused anyway) share the outermost windows: no input can
    /// overflow the arithmetic.
    static func window(of timestampMs: Int64) -> Int64 {
        let clamped = min(max(timestampMs, -(1 << 62)), 1 << 62)
        let (quotient, remainder) = clamped.quotientAndRemainder(dividingBy: windowMs)
        return (remainder < 0 ? quotient - 1 : quotient) * windowMs
    }

    private func logPath(_ window: Int64) -> String { "\(directory)/\(window).log" }
    private func sortedPath(_ window: Int64) -> String { "\(directory)/\(window).sorted" }

    private static func openLog(path: String, window: Int64, _ state: inout State) throws -> Int32 {
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StorageError.io(path: path, operation: "open index log", errno: errno) }
        // A torn append from a crash leaves a partial id: cut it off.
        let size = lseek(fd, 0, SEEK_END)
        if size % idBytes != 0, ftruncate(fd, size - size % idBytes) != 0 {
            Glibc.close(fd)
            throw StorageError.io(path: path, operation: "truncate torn index log", errno: errno)
        }
        state.logs[window] = fd
        return fd
    }

    /// Merges a window's log into its sorted file (sorted, without
    /// duplicates), durably, then removes the log.
    private func seal(_ window: Int64, _ state: inout State) throws {
        if let fd = state.logs.removeValue(forKey: window) { Glibc.close(fd) }
        let log = try AtomicFile.read(logPath(window)) ?? []
        let sorted = try AtomicFile.read(sortedPath(window)) ?? []
        var ids = Set<[UInt8]>()
        for bytes in [log, sorted] {
            var start = 0
            while start + Self.idBytes <= bytes.count {
                ids.insert(Array(bytes[start..<start + Self.idBytes]))
                start += Self.idBytes
            }
        }
        let merged = ids.sorted { $0.lexicographicallyPrecedes($1) }.flatMap { $0 }
        try AtomicFile.write(merged, to: sortedPath(window))
        guard unlink(logPath(window)) == 0 || errno == ENOENT else { throw StorageError.io(path: logPath(window), operation: "unlink", errno: errno) }
    }

    private func expire(before cutoffMs: Int64) throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for name in names where name.hasSuffix(".sorted") {
            guard let window = Int64(name.dropLast(".sorted".count)), window + Self.windowMs < cutoffMs else { continue }
            if unlink("\(directory)/\(name)") == 0 {
                logger.info("transaction index window past retention removed", metadata: ["window_start_ms": "\(window)"])
            }
        }
    }

    /// Binary search of a sorted file of 32-byte ids, by `pread`.
    private static func searchSorted(path: String, _ needle: [UInt8]) -> Bool {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { Glibc.close(fd) }
        let count = Int(lseek(fd, 0, SEEK_END)) / idBytes
        var low = 0
        var high = count - 1
        var probe = [UInt8](repeating: 0, count: idBytes)
        while low <= high {
            let middle = (low + high) / 2
            let got = probe.withUnsafeMutableBytes { pread(fd, $0.baseAddress!, idBytes, off_t(middle * idBytes)) }
            guard got == idBytes else { return false }
            if probe == needle { return true }
            if probe.lexicographicallyPrecedes(needle) { low = middle + 1 } else { high = middle - 1 }
        }
        return false
    }

    /// Linear scan of an append-only log of 32-byte ids.
    private static func scanLog(path: String, _ needle: [UInt8]) -> Bool {
        guard let bytes = try? AtomicFile.read(path) else { return false }
        var start = 0
        while start + idBytes <= bytes.count {
            if bytes[start..<start + idBytes].elementsEqual(needle) { return true }
            start += idBytes
        }
        return false
    }
}
