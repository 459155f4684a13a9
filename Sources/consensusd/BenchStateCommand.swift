import ArgumentParser
import ConsensusCore
import ConsensusSimulation
import Foundation
import Wire

/// `consensusd bench-state`: the state machine's apply rate and the cost of
/// updating the state root, with libsodium SHA-256 (the daemon's hash).
/// Printed, never asserted (docs/benchmarks.md).
struct BenchStateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-state",
        abstract: "Measure state-machine apply rate and Merkle update cost per block at 10k and 1M entries.")

    @Option(help: "Transactions per block.") var blockTransactions = 500

    func run() throws {
        applyRate()
        for entries in [10_000, 1_000_000] { merkleCost(entries: entries) }
    }

    /// Whole blocks of the simulated mixed workload through `LedgerState.apply`
    /// (decode, payload rules, nonce and domain rules, Merkle update, root).
    func applyRate() {
        let crypto = SodiumConsensusCrypto()
        let events = SimulatedTransactions()
        let workload = SimulatedWorkload(seed: 1)
        let start: Int64 = 1_767_225_600_000
        let blocks = (1...40).map { height in
            Block.make(
                height: UInt64(height), previousHash: Hash32.zero, proposer: 1, timestampMs: start + Int64(height),
                transactions: (0..<blockTransactions).map { workload.event(number: height * blockTransactions + $0, timestampMs: start) },
                results: .genesis(crypto: crypto), crypto: crypto)
        }
        var state = LedgerState(crypto: crypto)
        let began = Date()
        var rejected = 0
        for block in blocks { rejected += state.apply(block, events: events).outcomes.filter { !$0.isApplied }.count }
        let seconds = Date().timeIntervalSince(began)
        let transactions = blocks.count * blockTransactions
        print(String(
            format: "state_apply transactions=%d blocks=%d rejected=%d seconds=%.3f tx_per_s=%.0f entries=%d merkle_hashes_per_tx=%.1f",
            transactions, blocks.count, rejected, seconds, Double(transactions) / seconds, state.entryCount,
            Double(state.merkleHashes) / Double(transactions)))
    }

    /// A tree of `entries` leaves, then blocks that each change
    /// `blockTransactions * 5` entries (what a block of events writes).
    func merkleCost(entries: Int) {
        let crypto = SodiumConsensusCrypto()
        var tree = StateTree()
        func key(_ n: Int) -> Hash32 { crypto.hash(Array("key \(n)".utf8)) }
        for n in 0..<entries { tree.set(keyHash: key(n), valueHash: key(-n), crypto: crypto) }
        _ = tree.root(crypto: crypto)
        let writes = blockTransactions * 5
        let blocks = 20
        var random = SeededGenerator(seed: 7)
        let keys = (0..<blocks * writes).map { _ in key(Int.random(in: 0..<entries, using: &random)) }
        let value = crypto.hash([1])
        let hashesBefore = tree.hashesComputed
        let began = Date()
        for block in 0..<blocks {
            for index in 0..<writes { tree.set(keyHash: keys[block * writes + index], valueHash: value, crypto: crypto) }
            _ = tree.root(crypto: crypto)
        }
        let seconds = Date().timeIntervalSince(began) / Double(blocks)
        let hashes = Double(tree.hashesComputed - hashesBefore) / Double(blocks)
        print(String(
            format: "merkle_update entries=%d writes_per_block=%d hashes_per_block=%.0f hashes_per_write=%.1f ms_per_block=%.2f",
            entries, writes, hashes, hashes / Double(writes), seconds * 1_000))
    }
}
