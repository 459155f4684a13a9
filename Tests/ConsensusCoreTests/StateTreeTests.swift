import ConsensusCore
import ConsensusSimulation
import Testing

@Suite struct StateTreeTests {
    let crypto = SimulatedCrypto()

    func key(_ n: Int) -> Hash32 { crypto.hash(Array("key \(n)".utf8)) }
    func value(_ n: Int) -> Hash32 { crypto.hash(Array("value \(n)".utf8)) }

    func tree(_ keys: [Int]) -> StateTree {
        var tree = StateTree()
        for k in keys { tree.set(keyHash: key(k), valueHash: value(k), crypto: crypto) }
        return tree
    }

    @Test func theRootDependsOnlyOnTheEntriesNotOnTheOrderTheyWereWritten() {
        var forward = tree(Array(0..<500))
        var backward = tree(Array((0..<500).reversed()))
        var random = SeededGenerator(seed: 4)
        var shuffled = tree(Array(0..<500).shuffled(using: &random))
        let root = forward.root(crypto: crypto)
        #expect(root == backward.root(crypto: crypto))
        #expect(root == shuffled.root(crypto: crypto))
        #expect(forward.count == 500)
    }

    @Test func removingEntriesGivesTheRootOfATreeThatNeverHadThem() {
        var full = tree(Array(0..<300))
        for k in stride(from: 0, to: 300, by: 3) { full.remove(keyHash: key(k)) }
        var never = tree((0..<300).filter { $0 % 3 != 0 })
        #expect(full.root(crypto: crypto) == never.root(crypto: crypto))
        #expect(full.count == 200)
        for k in 0..<300 { full.remove(keyHash: key(k)) }
        #expect(full.root(crypto: crypto) == Hash32.zero)
        #expect(full.nodeCount == 0)
    }

    @Test func changingOneValueChangesTheRootAndChangingItBackRestoresIt() {
        var tree = tree(Array(0..<100))
        let before = tree.root(crypto: crypto)
        tree.set(keyHash: key(42), valueHash: value(999), crypto: crypto)
        #expect(tree.root(crypto: crypto) != before)
        tree.set(keyHash: key(42), valueHash: value(42), crypto: crypto)
        #expect(tree.root(crypto: crypto) == before)
    }

    @Test func anUpdateRehashesOnePathNotTheWholeTree() {
        var tree = tree(Array(0..<10_000))
        _ = tree.root(crypto: crypto)
        let before = tree.hashesComputed
        tree.set(keyHash: key(5), valueHash: value(6), crypto: crypto)
        _ = tree.root(crypto: crypto)
        let cost = tree.hashesComputed - before
        // log2(10,000) is about 13; one leaf plus its path.
        #expect(cost > 1 && cost < 40, "one update cost \(cost) hashes")
    }
}
