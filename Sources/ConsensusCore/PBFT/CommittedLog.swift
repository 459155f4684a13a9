/// The committed blocks a replica keeps in memory: the most recent ones
/// (enough to bring a slightly lagging peer up to date and to carry the last
/// commit certificate in a view change), not the whole chain. Older blocks
/// live in the daemon's block store; a peer further behind gets a snapshot.
struct CommittedLog: Sendable {
    private var blocks: [CommittedBlock] = []
    /// Height of the last committed block (0: none).
    private(set) var height: UInt64 = 0

    var last: CommittedBlock? { blocks.last }
    var count: Int { blocks.count }
    /// Lowest height held (height + 1 when empty).
    var firstHeight: UInt64 { height + 1 - UInt64(blocks.count) }

    mutating func append(_ block: CommittedBlock) {
        precondition(block.height == height + 1, "committed blocks are appended in height order")
        blocks.append(block)
        height = block.height
    }

    func block(at target: UInt64) -> CommittedBlock? {
        guard target >= firstHeight, target <= height, !blocks.isEmpty else { return nil }
        return blocks[Int(target - firstHeight)]
    }

    /// Blocks `from`...`through` that are held (empty if `from` was dropped).
    func blocks(from start: UInt64, through end: UInt64) -> [CommittedBlock] {
        guard start >= firstHeight, start <= end, end <= height else { return [] }
        return Array(blocks[Int(start - firstHeight)...Int(end - firstHeight)])
    }

    /// Drops blocks below `keepFrom`, always keeping the last one.
    mutating func trim(keepingFrom keepFrom: UInt64) {
        guard keepFrom > firstHeight, blocks.count > 1 else { return }
        blocks.removeFirst(min(Int(keepFrom - firstHeight), blocks.count - 1))
    }

    /// Starts over at a snapshot's block.
    mutating func reset(to block: CommittedBlock) {
        blocks = [block]
        height = block.height
    }
}
