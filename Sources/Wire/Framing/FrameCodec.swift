import Logging

/// Wire framing: a 4-byte big-endian length, then that many bytes of one
/// encoded `Envelope` (ARCHITECTURE §4).
public enum FrameCodec {
    public static let headerByteCount = 4
    /// Default frame limit: an event batch of 64 KiB payloads needs room;
    /// 4 MiB bounds what one frame can make a receiver hold.
    public static let defaultMaximumFrameBytes = 4 * 1024 * 1024

    /// Appends one frame (header + payload) to `buffer`.
    public static func append(payload: [UInt8], to buffer: inout [UInt8]) {
        let length = UInt32(payload.count)
        buffer.append(UInt8(truncatingIfNeeded: length >> 24))
        buffer.append(UInt8(truncatingIfNeeded: length >> 16))
        buffer.append(UInt8(truncatingIfNeeded: length >> 8))
        buffer.append(UInt8(truncatingIfNeeded: length))
        buffer.append(contentsOf: payload)
    }

    /// One frame as a new array.
    public static func frame(_ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(headerByteCount + payload.count)
        append(payload: payload, to: &out)
        return out
    }
}

/// Why a byte stream is not a valid sequence of frames. Any of these closes
/// the connection: after a bad header the stream cannot be resynchronised.
public enum FrameError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A frame announced zero bytes; no envelope is empty.
    case emptyFrame
    /// A frame announced more than the configured maximum (checked before
    /// anything is allocated for it).
    case oversizeFrame(announced: Int, maximum: Int)

    public var description: String {
        switch self {
        case .emptyFrame: return "frame of length 0"
        case let .oversizeFrame(announced, maximum): return "frame announces \(announced) bytes; the limit is \(maximum)"
        }
    }

    /// The metric label for this failure.
    public var label: String {
        switch self {
        case .emptyFrame: return "empty_frame"
        case .oversizeFrame: return "oversize_frame"
        }
    }
}

/// Incremental frame decoder: feed it bytes as they arrive in any chunking,
/// take complete frames out. Memory is bounded by the maximum frame size
/// plus one read: a length is checked before the frame's bytes are kept.
public struct FrameDecoder: Sendable {
    public let maximumFrameBytes: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0
    private var failed: FrameError?

    public init(maximumFrameBytes: Int = FrameCodec.defaultMaximumFrameBytes) {
        precondition(maximumFrameBytes > 0 && maximumFrameBytes <= Int(UInt32.max), "maximumFrameBytes out of range")
        self.maximumFrameBytes = maximumFrameBytes
    }

    /// Bytes received but not yet returned as frames.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Adds received bytes. Validates any newly complete header at once, so
    /// an oversize announcement fails before its body is buffered.
    public mutating func feed<Bytes: Collection>(_ bytes: Bytes) throws(FrameError) where Bytes.Element == UInt8 {
        if let failed { throw failed }
        if readIndex > 0, readIndex >= buffer.count / 2 {
            buffer.removeFirst(readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
        // Headers after the first are checked by nextFrame as it reaches them.
        _ = try pendingLength()
    }

    /// The next complete frame's payload, or nil when more bytes are needed.
    public mutating func nextFrame() throws(FrameError) -> [UInt8]? {
        if let failed { throw failed }
        guard let length = try pendingLength() else { return nil }
        guard bufferedByteCount >= FrameCodec.headerByteCount + length else { return nil }
        let start = readIndex + FrameCodec.headerByteCount
        let payload = Array(buffer[start..<start + length])
        readIndex = start + length
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: buffer.capacity <= 64 * 1024)
            readIndex = 0
        }
        return payload
    }

    /// The announced length of the frame at the read position, validated.
    private mutating func pendingLength() throws(FrameError) -> Int? {
        guard bufferedByteCount >= FrameCodec.headerByteCount else { return nil }
        let b = buffer
        let i = readIndex
        let length = Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
        if length == 0 {
            failed = .emptyFrame
            throw FrameError.emptyFrame
        }
        if length > maximumFrameBytes {
            let error = FrameError.oversizeFrame(announced: length, maximum: maximumFrameBytes)
            failed = error
            throw error
        }
        return length
    }
}

extension FrameCodec {
    /// The framed message, or nil when its payload is over the frame limit:
    /// the sender checks before it sends, logs and counts, and the link stays
    /// up (sending it would make the peer close the link as oversize, and
    /// every retransmission would close it again).
    static func frameIfItFits(_ message: WireMessage, maximumFrameBytes: Int, statistics: LinkStatistics, logger: Logger) -> [UInt8]? {
        let payload = EnvelopeCodec.encode(message)
        guard payload.count <= maximumFrameBytes else {
            statistics.recordOversize(message.kind)
            logger.warning("message not sent: larger than a frame", metadata: [
                "kind": "\(message.kind.rawValue)", "bytes": "\(payload.count)", "limit": "\(maximumFrameBytes)",
            ])
            return nil
        }
        return frame(payload)
    }
}
