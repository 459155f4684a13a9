import Glibc
import Logging

/// An append-only file of checksummed records, the format of the
/// write-ahead log and the block store: each record is a 4-byte big-endian
/// length, a 4-byte big-endian CRC-32C of the payload, then the payload.
/// Every `sync()` first appends a sync marker (the 9-byte record whose
/// payload is the single byte 0x00, which no stored record ever is), so the
/// file says which records were durable before the validator acted on them.
///
/// Opening scans every record and hands over only those followed by a sync
/// marker. Records after the last marker were never synced, so nothing was
/// sent because of them: they are dropped, whatever state a crash left them
/// in (cut short, zero-filled, pages written out of order). Damage before
/// the last marker (the marker pattern appears after the damaged record) is
/// corruption: truncating there would forget votes that were sent, so
/// opening fails naming the file and the offset and changes nothing
/// (docs/validator.md says how to restore from peers).
final class RecordFile {
    static let headerBytes = 8
    /// Appended by every sync that follows an append.
    static let syncMarker: [UInt8] = frame([0x00])

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
    /// Records appended since the last sync (a marker is due).
    private var dirty = false

    private init(path: String, fd: Int32, size: UInt64, maximumRecordBytes: Int) {
        self.path = path
        self.fd = fd
        self.size = size
        self.maximumRecordBytes = maximumRecordBytes
    }

    deinit { Glibc.close(fd) }

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
        /// The end of the last sync marker: everything before it was durable.
        var syncedEnd: UInt64 = 0
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
            offset += UInt64(headerBytes) + length
            if payload == [0x00] {
                for (recordOffset, record) in pending { try visit(recordOffset, record) }
                pending.removeAll()
                syncedEnd = offset
            } else {
                pending.append((offset - UInt64(headerBytes) - length, payload))
            }
        }
        if let damage, try file.contains(syncMarker, from: offset + 1, to: fileSize) {
            // A sync marker after the damage: the damaged record was durable.
            throw StorageError.corrupt(path: path, offset: offset, detail: "\(damage), with synced records after it")
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
        guard payload != [0x00] else { throw StorageError.inconsistent(path: path, detail: "the sync marker cannot be stored as a record") }
        let record = Self.frame(payload)
        let offset = size
        try write(record, at: offset)
        size += UInt64(record.count)
        dirty = true
        return offset
    }

    /// Makes every append so far durable: a sync marker, then fdatasync.
    func sync() throws {
        if dirty {
            try write(Self.syncMarker, at: size)
            size += UInt64(Self.syncMarker.count)
            dirty = false
        }
        guard fdatasync(fd) == 0 else { throw StorageError.io(path: path, operation: "fsync", errno: errno) }
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

    /// Whether `pattern` occurs in [start, end) (read in 64 KiB pieces that
    /// overlap by the pattern's length).
    private func contains(_ pattern: [UInt8], from start: UInt64, to end: UInt64) throws -> Bool {
        var offset = start
        while offset + UInt64(pattern.count) <= end {
            let count = Int(min(end - offset, 1 << 16))
            let piece = try read(at: offset, count: count)
            if piece.count >= pattern.count {
                for index in 0...(piece.count - pattern.count) where piece[index] == pattern[0] && Array(piece[index..<index + pattern.count]) == pattern {
                    return true
                }
            }
            if offset + UInt64(count) >= end { break }
            offset += UInt64(count - pattern.count + 1)
        }
        return false
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
        var done = 0
        while done < bytes.count {
            let wrote = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + done, bytes.count - done) }
            if wrote < 0, errno == EINTR { continue }
            guard wrote > 0 else { throw StorageError.io(path: temporary, operation: "write", errno: errno) }
            done += wrote
        }
        guard fsync(fd) == 0 else { throw StorageError.io(path: temporary, operation: "fsync", errno: errno) }
        guard rename(temporary, path) == 0 else { throw StorageError.io(path: path, operation: "rename", errno: errno) }
        try syncDirectory(of: path)
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
