import Synchronization

/// A bounded queue of encoded frames waiting for one link's writer. A sender
/// never blocks: when the queue is full the frame is dropped and counted, so
/// a slow or dead peer cannot stall the process that talks to it.
final class OutboundQueue: Sendable {
    struct State {
        var frames: [[UInt8]] = []
        var head = 0
        var bytes = 0
        var dropped: UInt64 = 0
    }

    let maximumFrames: Int
    let maximumBytes: Int
    private let state = Mutex(State())

    init(maximumFrames: Int, maximumBytes: Int) {
        precondition(maximumFrames > 0 && maximumBytes > 0, "queue limits must be positive")
        self.maximumFrames = maximumFrames
        self.maximumBytes = maximumBytes
    }

    /// Queues a frame; false (and counted) when it would exceed a limit.
    func enqueue(_ frame: [UInt8]) -> Bool {
        state.withLock { state in
            let count = state.frames.count - state.head
            guard count < maximumFrames, state.bytes + frame.count <= maximumBytes else {
                state.dropped += 1
                return false
            }
            state.frames.append(frame)
            state.bytes += frame.count
            return true
        }
    }

    /// Moves every queued frame into `buffer` (coalescing them into one
    /// write) and returns how many it moved.
    func drain(into buffer: inout [UInt8]) -> Int {
        state.withLock { state in
            let count = state.frames.count - state.head
            guard count > 0 else { return 0 }
            for index in state.head..<state.frames.count { buffer.append(contentsOf: state.frames[index]) }
            state.frames.removeAll(keepingCapacity: true)
            state.head = 0
            state.bytes = 0
            return count
        }
    }

    var isEmpty: Bool { state.withLock { $0.frames.count == $0.head } }
    var droppedCount: UInt64 { state.withLock { $0.dropped } }
    var queuedBytes: Int { state.withLock { $0.bytes } }
    var queuedFrames: Int { state.withLock { $0.frames.count - $0.head } }
}
