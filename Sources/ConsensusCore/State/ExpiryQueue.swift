/// A binary min-heap of (deadline, key): what expires next, in O(log n).
/// Used for nonce records (block time) and mempool entries (local time);
/// entries may be stale (their key re-armed or removed since), the owner
/// checks each popped key against its own record.
struct ExpiryQueue<Key: Hashable & Sendable>: Sendable {
    private var heap: [(deadline: Int64, key: Key)] = []

    var count: Int { heap.count }

    mutating func insert(_ key: Key, deadline: Int64) {
        heap.append((deadline, key))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    /// Removes and returns the earliest entry if its deadline is before `time`.
    mutating func popExpired(before time: Int64) -> (deadline: Int64, key: Key)? {
        guard let first = heap.first, first.deadline < time else { return nil }
        let last = heap.removeLast()
        if !heap.isEmpty {
            heap[0] = last
            var parent = 0
            while true {
                let left = 2 * parent + 1
                let right = left + 1
                var smallest = parent
                if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
                if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
                guard smallest != parent else { break }
                heap.swapAt(parent, smallest)
                parent = smallest
            }
        }
        return first
    }

    /// Starts over with exactly these entries (drops the stale ones an
    /// owner no longer tracks, which otherwise wait for their deadline).
    mutating func rebuild(_ entries: [(key: Key, deadline: Int64)]) {
        heap.removeAll(keepingCapacity: false)
        for entry in entries { insert(entry.key, deadline: entry.deadline) }
    }
}
