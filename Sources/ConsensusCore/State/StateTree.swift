/// The Merkle commitment over the whole ledger state: a compact sparse
/// Merkle tree keyed by the hash of each state key.
///
/// Why this shape: its root depends only on the set of (key, value) pairs,
/// never on the order they were written, so every honest replica (and one
/// that imported a snapshot) computes the same root; and an update costs one
/// path, about log2(entries) hashes, so a block costs in proportion to what it
/// changed, not to the size of the state.
///
/// Canonical form: an empty subtree is nothing, a subtree holding one entry is
/// that entry's leaf (wherever it sits), a subtree holding two or more is a
/// branch splitting on the next bit of the key hash. Leaf hash =
/// H(0x00 ‖ key hash ‖ value hash); branch hash = H(0x01 ‖ left ‖ right), with
/// 32 zero bytes for an empty side. Branch hashes are recomputed lazily, once
/// per `root` call, only along paths that changed.
public struct StateTree: Sendable {
    struct Node: Sendable {
        var left: Int32 = StateTree.empty
        var right: Int32 = StateTree.empty
        /// Set for leaves only.
        var keyHash: Hash32?
        /// A leaf's hash always; a branch's when it is up to date.
        var hash: Hash32?
    }

    static let empty: Int32 = -1

    private var nodes: [Node] = []
    private var freeSlots: [Int32] = []
    private var rootIndex: Int32 = StateTree.empty
    public private(set) var count = 0
    /// Hashes computed by `root` calls so far (the Merkle cost benchmark reads it).
    public private(set) var hashesComputed = 0

    public init() {}

    /// Sets `keyHash` to the leaf with `valueHash` (insert or replace).
    public mutating func set(keyHash: Hash32, valueHash: Hash32, crypto: any ConsensusCrypto) {
        let leafHash = crypto.hash(Hash32.merkleInput(tag: 0x00, keyHash, valueHash))
        hashesComputed += 1
        rootIndex = insert(keyHash: keyHash, leafHash: leafHash, at: rootIndex, depth: 0)
    }

    /// Removes `keyHash` if present.
    public mutating func remove(keyHash: Hash32) {
        rootIndex = delete(keyHash: keyHash, at: rootIndex, depth: 0)
    }

    /// The root over every entry (a fixed constant for an empty tree).
    public mutating func root(crypto: any ConsensusCrypto) -> Hash32 {
        guard rootIndex != Self.empty else { return Hash32.zero }
        return hashOf(rootIndex, crypto: crypto)
    }

    /// Live nodes (leaves and branches), for memory accounting.
    public var nodeCount: Int { nodes.count - freeSlots.count }

    // MARK: - Structure

    private static func bit(_ hash: Hash32, _ depth: Int) -> Bool {
        hash.bit(at: depth)
    }

    private mutating func allocate(_ node: Node) -> Int32 {
        if let slot = freeSlots.popLast() {
            nodes[Int(slot)] = node
            return slot
        }
        nodes.append(node)
        return Int32(nodes.count - 1)
    }

    private mutating func release(_ index: Int32) {
        nodes[Int(index)] = Node()
        freeSlots.append(index)
    }

    private mutating func insert(keyHash: Hash32, leafHash: Hash32, at index: Int32, depth: Int) -> Int32 {
        if index == Self.empty {
            count += 1
            return allocate(Node(keyHash: keyHash, hash: leafHash))
        }
        let node = nodes[Int(index)]
        if let existing = node.keyHash {
            if existing == keyHash {
                nodes[Int(index)].hash = leafHash
                return index
            }
            // Two entries now share this subtree: branch until their key bits differ.
            count += 1
            let newLeaf = allocate(Node(keyHash: keyHash, hash: leafHash))
            return split(existing: index, existingKey: existing, newLeaf: newLeaf, newKey: keyHash, depth: depth)
        }
        var branch = node
        if Self.bit(keyHash, depth) {
            branch.right = insert(keyHash: keyHash, leafHash: leafHash, at: node.right, depth: depth + 1)
        } else {
            branch.left = insert(keyHash: keyHash, leafHash: leafHash, at: node.left, depth: depth + 1)
        }
        branch.hash = nil
        nodes[Int(index)] = branch
        return index
    }

    private mutating func split(existing: Int32, existingKey: Hash32, newLeaf: Int32, newKey: Hash32, depth: Int) -> Int32 {
        precondition(depth < 256, "two distinct 256-bit keys differ in some bit")
        let existingBit = Self.bit(existingKey, depth)
        let newBit = Self.bit(newKey, depth)
        var branch = Node()
        if existingBit == newBit {
            let child = split(existing: existing, existingKey: existingKey, newLeaf: newLeaf, newKey: newKey, depth: depth + 1)
            if newBit { branch.right = child } else { branch.left = child }
        } else if newBit {
            branch.left = existing
            branch.right = newLeaf
        } else {
            branch.left = newLeaf
            branch.right = existing
        }
        return allocate(branch)
    }

    private mutating func delete(keyHash: Hash32, at index: Int32, depth: Int) -> Int32 {
        guard index != Self.empty else { return index }
        let node = nodes[Int(index)]
        if let existing = node.keyHash {
            guard existing == keyHash else { return index }
            count -= 1
            release(index)
            return Self.empty
        }
        var branch = node
        if Self.bit(keyHash, depth) {
            branch.right = delete(keyHash: keyHash, at: node.right, depth: depth + 1)
        } else {
            branch.left = delete(keyHash: keyHash, at: node.left, depth: depth + 1)
        }
        // Keep the canonical form: a subtree left with one entry is that leaf.
        if branch.left == Self.empty || branch.right == Self.empty {
            let survivor = branch.left == Self.empty ? branch.right : branch.left
            if survivor == Self.empty || nodes[Int(survivor)].keyHash != nil {
                release(index)
                return survivor
            }
        }
        branch.hash = nil
        nodes[Int(index)] = branch
        return index
    }

    private mutating func hashOf(_ index: Int32, crypto: any ConsensusCrypto) -> Hash32 {
        if let hash = nodes[Int(index)].hash { return hash }
        let node = nodes[Int(index)]
        let left = node.left == Self.empty ? Hash32.zero : hashOf(node.left, crypto: crypto)
        let right = node.right == Self.empty ? Hash32.zero : hashOf(node.right, crypto: crypto)
        let hash = crypto.hash(Hash32.merkleInput(tag: 0x01, left, right))
        hashesComputed += 1
        nodes[Int(index)].hash = hash
        return hash
    }
}
