import Glibc
import Logging

/// An append-only file of checksummed records, the format of the
/// write-ahead log and the block store: each record is a 4-byte big-endian
/// length, a 4-byte big-endian CRC-32C of the payload, then the payload.
///
/// Every `sync()` first appends a sync marker, a record whose 13-byte
/// payload is 0x00, the offset where its batch (the records appended since
/// the previous marker) starts, and a CRC-32C over the batch's bytes; then
/// it `fdatasync`s. A marker is valid only if its batch is intact, so the
/// file itself says which records were durable before the validator acted
/// on them, whatever order a power cut wrote the pages in, and no record
/// (an event nonce, say) can pass for a marker.
///
/// Opening scans every record and hands over those followed by a valid
/// marker. Records after the last valid marker were never synced, so
/// nothing was sent because of them: they are dropped whatever state a
/// crash left them in. Damage with a valid marker after it is corruption:
/// truncating there would forget votes that were sent, so opening fails
/// naming the file and the offset and changes nothing (docs/validator.md
/// says how to restore from peers). A file without any marker was written
/// before markers existed: its checked records are all taken.
final class RecordFile {
    static let headerBytes = 8
    static let markerPayloadBytes = 13

    /// What opening repaired.
    struct TailRepair: Equatable, CustomStringConvertible {
        let goodBytes: UInt64
        let droppedBytes: UInt64
        let reason: String
        var description: String { "dropped \(droppedBytes) bytes after byte \(goodBytes): \(reason)" }
    }

    let path: String
    let maximumRecordBytes: Int
    private let fd: Int32
    private(set) var size: UInt64
    /// Where the batch not yet closed by a marker starts, and its checksum so far.
    private var batchStart: UInt64
    private var batchChecksum = CRC32C.Running()
    /// The file's size at the last successful `fdatasync` (or opening).
    private var lastSyncedSize: UInt64

    private init(path: String, fd: Int32, size: UInt64, maximumRecordBytes: Int) {
        self.path = path
        self.fd = fd
        self.size = size
        self.batchStart = size
        self.lastSyncedSize = size
        self.maximumRecordBytes = maximumRecordBytes
    }

    deinit { Glibc.close(fd) }

    /// The marker closing a batch that starts at `start` with checksum `checksum`.
    static func marker(batchStart start: UInt64, checksum: UInt32) -> [UInt8] {
        var payload: [UInt8] = [0x00]
        for shift in stride(from: 56, through: 0, by: -8) { payload.append(UInt8(truncatingIfNeeded: start >> UInt64(shift))) }
        for shift in [24, 16, 8, 0] { payload.append(UInt8(truncatingIfNeeded: checksum >> UInt32(shift))) }
        return frame(payload)
    }

    /// (batch start, batch checksum) when `payload` is shaped like a marker's.
    private static func markerFields(_ payload: [UInt8]) -> (start: UInt64, checksum: UInt32)? {
        guard payload.count == markerPayloadBytes, payload[0] == 0x00 else { return nil }
        let start = payload[1...8].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let checksum = payload[9...12].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        return (start, checksum)
    }

    /// Opens (creating if needed) and scans the file, calling `visit` with
    /// each synced record's offset and payload in order; a `visit` that
    /// throws stops the open. Returns the file and the repair made, if any.
    static func open(
        path: String, maximumRecordBytes: Int, logger: Logger, visit: (UInt64, [UInt8]) throws -> Void
    ) throws -> (RecordFile, TailRepair?) {
        let existed = access(path, F_OK) == 0
        let fd = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StorageError.io(path: path, operation: "open", errno: errno) }
        // A new file's directory entry is durable only once the directory is synced.
        if !existed {
            do {
                try AtomicFile.syncDirectory(of: path)
            } catch {
                Glibc.close(fd)
                throw error
            }
        }
        var stats = stat()
        guard fstat(fd, &stats) == 0 else {
            let code = errno
            Glibc.close(fd)
            throw StorageError.io(path: path, operation: "stat", errno: code)
        }
        let fileSize = UInt64(stats.st_size)
        let file = RecordFile(path: path, fd: fd, size: fileSize, maximumRecordBytes: maximumRecordBytes)
        var offset: UInt64 = 0
        /// The end of the last valid marker: everything before it was durable.
        var syncedEnd: UInt64 = 0
        var markers = 0
        var running = CRC32C.Running()
        var pending: [(UInt64, [UInt8])] = []
        var damage: String?
        while offset < fileSize {
            let remaining = fileSize - offset
            guard remaining >= UInt64(headerBytes) else {
                damage = "a short record header"
                break
            }
            let header = try file.read(at: offset, count: headerBytes)
            let length = UInt64(header[0]) << 24 | UInt64(header[1]) << 16 | UInt64(header[2]) << 8 | UInt64(header[3])
            let checksum = UInt32(header[4]) << 24 | UInt32(header[5]) << 16 | UInt32(header[6]) << 8 | UInt32(header[7])
            guard length >= 1 else {
                damage = "a zero-length record (zeros where a record should be)"
                break
            }
            guard length <= UInt64(maximumRecordBytes) else {
                damage = "a record length of \(length) bytes, over the \(maximumRecordBytes)-byte limit"
                break
            }
            guard remaining - UInt64(headerBytes) >= length else {
                damage = "a record of \(length) bytes cut short"
                break
            }
            let payload = try file.read(at: offset + UInt64(headerBytes), count: Int(length))
            guard CRC32C.checksum(payload) == checksum else {
                damage = "a checksum mismatch in a \(length)-byte record"
                break
            }
            if let fields = markerFields(payload) {
                // Valid only if it closes exactly the bytes since the last marker.
                guard fields.start == syncedEnd, fields.checksum == running.value else {
                    damage = "a sync marker that does not match its batch"
                    break
                }
                offset += UInt64(headerBytes) + length
                for (recordOffset, record) in pending { try visit(recordOffset, record) }
                pending.removeAll()
                syncedEnd = offset
                markers += 1
                running = CRC32C.Running()
                continue
            }
            running = running.adding(header).adding(payload)
            pending.append((offset, payload))
            offset += UInt64(headerBytes) + length
        }
        if let damage, try file.containsValidMarker(from: offset + 1, to: fileSize, notBefore: syncedEnd) {
            // A valid marker after the damage: the damaged record was durable.
            throw StorageError.corrupt(path: path, offset: offset, detail: "\(damage), with synced records after it")
        }
        if markers == 0, !pending.isEmpty {
            // Written before sync markers existed: every checked record
            // counts, and only damage at the end is cut (the old rule).
            for (recordOffset, record) in pending { try visit(recordOffset, record) }
            logger.warning("a log without sync markers (an older version's): all its checked records taken", metadata: ["file": "\(path)"])
            syncedEnd = offset
        }
        var repair: TailRepair?
        if syncedEnd < fileSize {
            repair = TailRepair(
                goodBytes: syncedEnd, droppedBytes: fileSize - syncedEnd,
                reason: damage.map { "records after the last sync, ending in \($0)" } ?? "records after the last sync")
        }
        if let repair {
            guard ftruncate(fd, off_t(repair.goodBytes)) == 0, fsync(fd) == 0 else {
                throw StorageError.io(path: path, operation: "truncate", errno: errno)
            }
            file.size = repair.goodBytes
            logger.warning("truncated a torn tail", metadata: ["file": "\(path)", "repair": "\(repair)"])
        }
        file.batchStart = file.size
        file.lastSyncedSize = file.size
        return (file, repair)
    }

    /// A payload framed as a record (header and checksum).
    static func frame(_ payload: [UInt8]) -> [UInt8] {
        let length = UInt32(payload.count)
        let checksum = CRC32C.checksum(payload)
        var record: [UInt8] = []
        record.reserveCapacity(headerBytes + payload.count)
        for shift in [24, 16, 8, 0] { record.append(UInt8(truncatingIfNeeded: length >> UInt32(shift))) }
        for shift in [24, 16, 8, 0] { record.append(UInt8(truncatingIfNeeded: checksum >> UInt32(shift))) }
        record += payload
        return record
    }

    /// Appends one record (not yet durable: call `sync()`); returns its offset.
    @discardableResult
    func append(_ payload: [UInt8]) throws -> UInt64 {
        // Never empty: an all-zero header is then never a record, and a
        // zero-filled tail is recognised as one.
        guard !payload.isEmpty else { throw StorageError.inconsistent(path: path, detail: "an empty record cannot be stored") }
        guard payload.count <= maximumRecordBytes else {
            throw StorageError.inconsistent(path: path, detail: "a record of \(payload.count) bytes is over the \(maximumRecordBytes)-byte limit")
        }
        guard Self.markerFields(payload) == nil else {
            throw StorageError.inconsistent(path: path, detail: "a record shaped like a sync marker cannot be stored")
        }
        let record = Self.frame(payload)
        let offset = size
        try write(record, at: offset)
        size += UInt64(record.count)
        batchChecksum = batchChecksum.adding(record)
        return offset
    }

    /// Makes every append so far durable: a marker closing the batch, then fdatasync.
    ///
    /// When `fdatasync` fails, Linux may mark the batch's pages clean
    /// without writing them: a restart without a reboot would read a valid
    /// marker over a batch that is not on the disk, and a later power cut
    /// would lose it under records written after it. So the batch is cut
    /// off the file again (nothing of it was sent) before the error is
    /// thrown; the caller stops using the file.
    func sync() throws {
        let unsynced = lastSyncedSize
        if size > batchStart {
            let marker = Self.marker(batchStart: batchStart, checksum: batchChecksum.value)
            try write(marker, at: size)
            size += UInt64(marker.count)
            batchStart = size
            batchChecksum = CRC32C.Running()
        }
        guard fdatasync(fd) == 0 else {
            let failure = errno
            if ftruncate(fd, off_t(unsynced)) == 0 { _ = fdatasync(fd) }
            throw StorageError.io(path: path, operation: "fsync", errno: failure)
        }
        lastSyncedSize = size
    }

    /// Frames `payloads` as a complete, synced file's bytes (compaction
    /// writes these through an atomic replace).
    static func syncedContents(of payloads: [[UInt8]]) -> [UInt8] {
        var bytes: [UInt8] = []
        for payload in payloads { bytes += frame(payload) }
        return bytes + marker(batchStart: 0, checksum: CRC32C.checksum(bytes))
    }

    /// The payload of the record at `offset` (from an earlier scan or append).
    func record(at offset: UInt64) throws -> [UInt8] {
        let header = try read(at: offset, count: Self.headerBytes)
        let length = Int(header[0]) << 24 | Int(header[1]) << 16 | Int(header[2]) << 8 | Int(header[3])
        guard length <= maximumRecordBytes else {
            throw StorageError.inconsistent(path: path, detail: "no record starts at byte \(offset)")
        }
        return try read(at: offset + UInt64(Self.headerBytes), count: length)
    }

    /// Whether a valid sync marker starts anywhere in [start, end): a
    /// checked marker record whose batch (at or after `notBefore`, before
    /// the marker) has the checksum it names.
    private func containsValidMarker(from start: UInt64, to end: UInt64, notBefore: UInt64) throws -> Bool {
        let markerBytes = UInt64(Self.headerBytes + Self.markerPayloadBytes)
        var offset = start
        while offset + markerBytes <= end {
            let count = Int(min(end - offset, 1 << 16))
            let piece = try read(at: offset, count: count)
            var index = 0
            while index + 4 <= piece.count {
                if piece[index] == 0, piece[index + 1] == 0, piece[index + 2] == 0, piece[index + 3] == UInt8(Self.markerPayloadBytes) {
                    let candidate = offset + UInt64(index)
                    if candidate + markerBytes <= end, try isValidMarker(at: candidate, notBefore: notBefore) { return true }
                }
                index += 1
            }
            if offset + UInt64(count) >= end { break }
            offset += UInt64(max(1, count - 3))
        }
        return false
    }

    private func isValidMarker(at offset: UInt64, notBefore: UInt64) throws -> Bool {
        let bytes = try read(at: offset, count: Self.headerBytes + Self.markerPayloadBytes)
        let payload = Array(bytes[Self.headerBytes...])
        let checksum = bytes[4...7].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard CRC32C.checksum(payload) == checksum, let fields = Self.markerFields(payload),
              fields.start >= notBefore, fields.start < offset else { return false }
        var running = CRC32C.Running()
        var position = fields.start
        while position < offset {
            let count = Int(min(offset - position, 1 << 20))
            running = running.adding(try read(at: position, count: count))
            position += UInt64(count)
        }
        return running.value == fields.checksum
    }

    private func read(at offset: UInt64, count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = out.withUnsafeMutableBytes { buffer in
                pread(fd, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            }
            if got < 0, errno == EINTR { continue }
            guard got > 0 else { throw StorageError.io(path: path, operation: "read", errno: got == 0 ? EIO : errno) }
            done += got
        }
        return out
    }

    private func write(_ bytes: [UInt8], at offset: UInt64) throws {
        var done = 0
        while done < bytes.count {
            let wrote = bytes.withUnsafeBytes { buffer in
                pwrite(fd, buffer.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            }
            if wrote < 0, errno == EINTR { continue }
            guard wrote > 0 else { throw StorageError.io(path: path, operation: "write", errno: errno) }
            done += wrote
        }
    }
}

/// Durable file replacement: write a temporary file, fsync it, rename it
/// over the old one and fsync the directory, so that a crash leaves either
/// the old file or the new one, whole.
enum AtomicFile {
    static func write(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".tmp"
        let fd = Glibc.open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw StorageError.io(path: temporary, operation: "create", errno: errno) }
        defer { Glibc.close(fd) }
        try writeAll(fd, bytes, path: temporary, operation: "write")
        guard fsync(fd) == 0 else { throw StorageError.io(path: temporary, operation: "fsync", errno: errno) }
        guard rename(temporary, path) == 0 else { throw StorageError.io(path: path, operation: "rename", errno: errno) }
        try syncDirectory(of: path)
    }

    /// Writes every byte (retrying short writes and EINTR) at the
    /// descriptor's position; an error names `operation` and `path`.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String, operation: String) throws {
        var done = 0
        while done < bytes.count {
            let wrote = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if wrote < 0, errno == EINTR { continue }
            guard wrote > 0 else { throw StorageError.io(path: path, operation: operation, errno: errno) }
            done += wrote
        }
    }

    static func syncDirectory(of path: String) throws {
        let directory = path.contains("/") ? String(path[..<path.lastIndex(of: "/")!]) : "."
        let fd = Glibc.open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw StorageError.io(path: directory, operation: "open directory", errno: errno) }
        defer { Glibc.close(fd) }
        guard fsync(fd) == 0 else { throw StorageError.io(path: directory, operation: "fsync directory", errno: errno) }
    }

    /// The whole file, or nil when it does not exist.
    static func read(_ path: String) throws -> [UInt8]? {
        let fd = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            if errno == ENOENT { return nil }
            throw StorageError.io(path: path, operation: "open", errno: errno)
        }
        defer { Glibc.close(fd) }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let got = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if got < 0, errno == EINTR { continue }
            guard got >= 0 else { throw StorageError.io(path: path, operation: "read", errno: errno) }
            if got == 0 { return out }
            out += chunk[0..<got]
        }
    }
}
