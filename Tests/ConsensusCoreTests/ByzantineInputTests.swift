import ConsensusCore
import ConsensusSimulation
import Testing

/// What a validator with a valid key can sign, fed to the core directly:
/// extreme numbers and payloads that do not match their ids (issue 11,
/// points 1 and 3). Each of these crashed or fooled the core before.
@Suite struct ByzantineInputTests {
    @Test("a genesis attestation with an extreme timestamp is refused with a reason", arguments: [Int64.min, .min + 1, .max, .max - 1])
    func extremeGenesisTimestamp(timestampMs: Int64) throws {
        let f = try GenesisFixture()
        let ceremony = f.ceremony(1)
        let problem = try #require(ceremony.check(f.ready(2, at: timestampMs), nowMs: 1_767_225_600_000))
        #expect(problem.contains("genesis tolerance"))
    }

    @Test("a proposal with an extreme timestamp is refused, not a crash", arguments: [Int64.min, .min + 1, .max])
    func extremeProposalTimestamp(timestampMs: Int64) throws {
        let f = try PBFTFixture()
        var replica = try PipelineWindowTests.activeReplica(f)
        let block = f.block(height: 1, parent: f.anchor, timestampMs: 0)
        let extreme = Block.make(height: 1, previousHash: f.anchor, proposer: 1, timestampMs: timestampMs, transactions: block.transactions, crypto: f.crypto)
        let actions = replica.step(.receive(.proposal(f.proposal(view: 0, block: extreme)), from: 1), nowMs: 2_010)
        #expect(PipelineWindowTests.prepares(actions).isEmpty)
        #expect(replica.statistics.lastRefusal?.contains("from this replica's clock") == true)
    }

    @Test func viewsAndHeightsBeyondTheLimitsAreRefusedAtTheDoor() throws {
        let f = try PBFTFixture()
        var replica = try PipelineWindowTests.activeReplica(f)
        let vote = Vote.make(phase: .prepare, view: .max, height: 1, blockHash: f.crypto.hash([1]), voter: 3, signer: SimulatedSigner(validator: 3))
        _ = replica.step(.receive(.vote(vote), from: 3), nowMs: 2_010)
        _ = replica.step(.receive(.blockRequest(fromHeight: .max), from: 3), nowMs: 2_010)
        #expect(replica.statistics.outOfRange == 2)
        #expect(replica.statistics.lastOutOfRange == "block_request from 3: block_request.from_height out of range")
        #expect(ConsensusMessage.vote(vote).outOfRangeField == "vote.view")
        #expect(ConsensusMessage.blockRequest(fromHeight: ConsensusLimits.maximumHeight).outOfRangeField == nil)
    }

    @Test func theTransactionRootCoversEveryByteNotOnlyTheIDs() throws {
        let f = try PBFTFixture()
        let block = f.block(height: 1, parent: f.anchor, transactions: 3)
        var transactions = block.transactions
        transactions[1] = try #require(SimulatedTransactions.swappedPayload(of: transactions[1]))
        #expect(transactions.map(\.id) == block.transactions.map(\.id))
        #expect(MerkleTree.transactionRoot(of: transactions, crypto: f.crypto) != block.transactionRoot)
        // The swapped bytes under the original hash and signature no longer verify.
        let original = f.proposal(view: 0, block: block)
        let swapped = Block(height: 1, previousHash: f.anchor, proposer: 1, timestampMs: block.timestampMs, transactions: transactions, transactionRoot: block.transactionRoot)
        #expect(!Proposal(view: 0, block: swapped, blockHash: original.blockHash, signature: original.signature).isValid(in: f.set, crypto: f.crypto))
        #expect(!SimulatedTransactions().identifies(transactions[1]))
    }

    /// The replica admitted (and verified) the transaction; a re-signed
    /// proposal carries the same id with other bytes. Before the fix the
    /// replica skipped validation because the id was in its mempool.
    @Test func aKnownIDWithOtherBytesIsValidatedLikeAStranger() throws {
        let f = try PBFTFixture()
        var replica = try PipelineWindowTests.activeReplica(f)
        let honest = f.block(height: 1, parent: f.anchor, transactions: 2, timestampMs: 2_000)
        for transaction in honest.transactions { _ = replica.step(.submit(transaction), nowMs: 2_005) }
        #expect(replica.pendingCount == 2)
        var control = replica
        var transactions = honest.transactions
        transactions[0] = try #require(SimulatedTransactions.swappedPayload(of: transactions[0]))
        let forged = Block.make(height: 1, previousHash: f.anchor, proposer: 1, timestampMs: honest.timestampMs, transactions: transactions, crypto: f.crypto)
        let actions = replica.step(.receive(.proposal(f.proposal(view: 0, block: forged)), from: 1), nowMs: 2_010)
        #expect(PipelineWindowTests.prepares(actions).isEmpty, "voted for a payload its producer never signed")
        #expect(replica.statistics.lastRefusal?.contains("is invalid") == true)
        // The same replica votes for the block with the bytes it admitted.
        let honestActions = control.step(.receive(.proposal(f.proposal(view: 0, block: honest)), from: 1), nowMs: 2_010)
        #expect(PipelineWindowTests.prepares(honestActions) == [1])
    }
}
