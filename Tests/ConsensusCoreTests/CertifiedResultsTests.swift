import ConsensusCore
import ConsensusSimulation
import Testing

/// Point 2 of the hardening issue: every block certifies the results of an
/// earlier height; a replica votes only for results it computed and halts
/// when a quorum certified others.
struct CertifiedResultsTests {
    static func committed(_ f: PBFTFixture, _ block: Block) -> CommittedBlock {
        let hash = block.hash(f.crypto)
        return CommittedBlock(block: block, blockHash: hash, certificate: f.certificate(.commit, view: 0, height: block.height, hash: hash, voters: [1, 3, 4]))
    }

    @Test func aProposalCertifyingAStateRootThisReplicaDidNotComputeGetsNoVote() throws {
        let f = try PBFTFixture()
        var replica = try PipelineWindowTests.activeReplica(f)
        let genesis = ExecutionResults.genesis(crypto: f.crypto)
        let lie = ExecutionResults(height: 0, stateRoot: f.crypto.hash([9]), outcomesHash: genesis.outcomesHash)
        let lying = f.block(height: 1, parent: f.anchor, timestampMs: 2_000, results: lie)
        let actions = replica.step(.receive(.proposal(f.proposal(view: 0, block: lying)), from: 1), nowMs: 2_010)
        #expect(PipelineWindowTests.prepares(actions).isEmpty)
        #expect(replica.statistics.lastRefusal?.contains("this replica computed") == true)
        // The same block with the true results is voted for.
        let honest = f.block(height: 1, parent: f.anchor, timestampMs: 2_000)
        var control = try PipelineWindowTests.activeReplica(f)
        #expect(PipelineWindowTests.prepares(control.step(.receive(.proposal(f.proposal(view: 0, block: honest)), from: 1), nowMs: 2_010)) == [1])
    }

    @Test func aProposalCertifyingAnotherHeightThanHeightMinusTheWindowGetsNoVote() throws {
        let f = try PBFTFixture()
        var replica = try PipelineWindowTests.activeReplica(f)
        let genesis = ExecutionResults.genesis(crypto: f.crypto)
        let shifted = f.block(height: 1, parent: f.anchor, timestampMs: 2_000, results: ExecutionResults(height: 1, stateRoot: .zero, outcomesHash: genesis.outcomesHash))
        let actions = replica.step(.receive(.proposal(f.proposal(view: 0, block: shifted)), from: 1), nowMs: 2_010)
        #expect(PipelineWindowTests.prepares(actions).isEmpty)
        #expect(replica.statistics.lastRefusal?.contains("results of height 1, not 0") == true)
    }

    /// The results of height 1 are checked only once the replica executed
    /// it: a proposal for height 5 carrying made-up results is kept, then
    /// refused when the window reaches it.
    @Test func resultsAheadOfExecutionAreCheckedOnceTheReplicaExecutesTheirHeight() throws {
        let f = try PBFTFixture()
        var replica = try PipelineWindowTests.activeReplica(f)
        var parent = f.anchor
        var blocks: [Block] = []
        for height in UInt64(1)...5 {
            let results = height == 5 ? ExecutionResults(height: 1, stateRoot: f.crypto.hash([7]), outcomesHash: f.crypto.hash([8])) : nil
            let block = f.block(height: height, parent: parent, timestampMs: 2_000, results: results)
            blocks.append(block)
            parent = block.hash(f.crypto)
            _ = replica.step(.receive(.proposal(f.proposal(view: 0, block: block)), from: 1), nowMs: 2_010)
        }
        #expect(replica.statistics.refusedProposals == 0)
        var voted = Set<UInt64>()
        // Heights 2-4 prepared, so only the results can stop a vote for 5.
        for block in blocks[1...3] {
            for voter: ValidatorID in [1, 3] {
                let vote = Vote.make(phase: .prepare, view: 0, height: block.height, blockHash: block.hash(f.crypto), voter: voter, signer: SimulatedSigner(validator: voter))
                _ = replica.step(.receive(.vote(vote), from: voter), nowMs: 2_011)
            }
        }
        let first = f.proposal(view: 0, block: blocks[0])
        for phase in [VotePhase.prepare, .commit] {
            for voter: ValidatorID in [1, 3] {
                let vote = Vote.make(phase: phase, view: 0, height: 1, blockHash: first.blockHash, voter: voter, signer: SimulatedSigner(validator: voter))
                voted.formUnion(PipelineWindowTests.prepares(replica.step(.receive(.vote(vote), from: voter), nowMs: 2_011)))
            }
        }
        #expect(replica.committedHeight == 1)
        #expect(!voted.contains(5))
        #expect(replica.statistics.refusedProposals == 1)
        #expect(replica.statistics.lastRefusal?.contains("height 5") == true)
    }

    /// A quorum committed a block whose results differ from this replica's:
    /// its state is not the quorum's. Before the fix it executed on and
    /// kept voting; now it halts, says so and asks a peer for a snapshot.
    @Test func aCommittedBlockCertifyingOtherResultsHaltsTheReplica() throws {
        let f = try PBFTFixture()
        var replica = try PipelineWindowTests.activeReplica(f)
        let genesis = ExecutionResults.genesis(crypto: f.crypto)
        let other = f.block(height: 1, parent: f.anchor, timestampMs: 2_000, results: ExecutionResults(height: 0, stateRoot: f.crypto.hash([1]), outcomesHash: genesis.outcomesHash))
        let actions = replica.step(.receive(.blocks([Self.committed(f, other)]), from: 3), nowMs: 2_010)
        #expect(replica.committedHeight == 0)
        let divergence = try #require(replica.divergence)
        #expect(divergence.height == 0 && divergence.ownRoot == .zero && divergence.detectedAt == 1)
        #expect(actions.contains { if case .diverged = $0 { return true } else { return false } })
        #expect(actions.contains { if case .send(.snapshotRequest, _) = $0 { return true } else { return false } })
        #expect(replica.statistics.divergences == 1)
        // Halted: an honest proposal gets no vote, time brings no view change.
        let honest = f.block(height: 1, parent: f.anchor, salt: 1, timestampMs: 2_000)
        #expect(PipelineWindowTests.prepares(replica.step(.receive(.proposal(f.proposal(view: 0, block: honest)), from: 1), nowMs: 2_020)).isEmpty)
        _ = replica.step(.tick, nowMs: 60_000)
        #expect(!replica.isChangingView)
    }

    @Test func theResultsHistoryIsPartOfTheStateAndSurvivesASnapshot() throws {
        let f = try PBFTFixture()
        var ledger = LedgerState(crypto: f.crypto)
        var parent = f.anchor
        var roots: [Hash32] = []
        for height in UInt64(1)...5 {
            let block = f.block(height: height, parent: parent, transactions: 2, timestampMs: 2_000)
            parent = block.hash(f.crypto)
            roots.append(ledger.apply(block, events: SimulatedTransactions()).stateRoot)
        }
        let root = ledger.root()
        var restored = try LedgerState(height: 5, entries: ledger.entries(), crypto: f.crypto)
        #expect(restored.root() == root)
        for height in UInt64(1)...5 {
            let original = try #require(ledger.results(at: height, currentRoot: root))
            #expect(original.stateRoot == roots[Int(height) - 1])
            #expect(restored.results(at: height, currentRoot: root) == original)
        }
        #expect(ledger.results(at: 6, currentRoot: root) == nil)
    }
}

/// Point 5: view changes and NewViews carry headers; a replica lacking a
/// re-proposed block's transactions fetches them, and the height stays that
/// block's meanwhile.
struct HeaderOnlyViewChangeTests {
    /// Validators 1, 3, 4 prepared b1 in view 0 (validator 2 never saw it)
    /// and ask for view 1, which validator 2 leads.
    static func newLeaderLackingTheBody() throws -> (PBFTFixture, Replica, Block, [Replica.Action]) {
        let f = try PBFTFixture()
        var replica = try PipelineWindowTests.activeReplica(f, id: 2)
        let b1 = f.block(height: 1, parent: f.anchor, timestampMs: 2_000)
        var actions: [Replica.Action] = []
        for voter: ValidatorID in [1, 3, 4] {
            let change = f.viewChange(to: 1, from: voter, prepared: [f.prepared(view: 0, block: b1)])
            actions += replica.step(.receive(.viewChange(change), from: voter), nowMs: 2_100)
        }
        return (f, replica, b1, actions)
    }

    @Test func aViewChangeCarriesHeadersSoItStaysSmallWhateverTheBlocksWeigh() throws {
        let f = try PBFTFixture()
        let b1 = f.block(height: 1, parent: f.anchor, transactions: 40, timestampMs: 2_000)
        let change = f.viewChange(to: 1, from: 1, prepared: [f.prepared(view: 0, block: b1)])
        #expect(change.prepared[0].header == b1.header)
        #expect(change.prepared[0].header.transactionCount == 40)
        #expect(change.isValid(in: f.set, anchor: f.anchor, crypto: f.crypto))
    }

    /// Before the fix the new leader, lacking b1's transactions, signed a
    /// new block at height 1 in view 1: two blocks from one honest leader
    /// at one (view, height).
    @Test func aNewLeaderLackingAReproposedBlockFetchesItAndProposesNothingElseThere() throws {
        var (f, replica, b1, actions) = try Self.newLeaderLackingTheBody()
        #expect(replica.view == 1)
        let asked = actions.contains { if case .send(.blockBodyRequest(1, b1.hash(f.crypto)), _) = $0 { return true } else { return false } }
        #expect(asked, "the missing transactions are asked for")
        let other = SimulatedWorkload(seed: 77).event(number: 1, timestampMs: 2_150)
        let later = replica.step(.submit(other), nowMs: 2_150)
        let proposals = later.compactMap { action -> Proposal? in if case let .broadcast(.proposal(p)) = action { return p } else { return nil } }
        #expect(proposals.allSatisfy { $0.block.height != 1 }, "proposed another block where b1 was re-proposed")
        // The body arrives: the re-proposal is taken up and voted for.
        let votes = replica.step(.receive(.blockBody(b1), from: 3), nowMs: 2_200)
        #expect(PipelineWindowTests.prepares(votes) == [1])
    }

    /// An attacker's review of e834e50: a re-proposal whose certified
    /// results this replica does not share was dropped from its slot, and
    /// the new leader then signed another block at that height of its view.
    @Test func aNewLeaderThatDisagreesWithAReproposedBlocksResultsStillProposesNothingElseThere() throws {
        let f = try PBFTFixture()
        var replica = try PipelineWindowTests.activeReplica(f, id: 2)
        let madeUp = ExecutionResults(height: 0, stateRoot: f.crypto.hash([9]), outcomesHash: f.crypto.hash([9]))
        let b1 = f.block(height: 1, parent: f.anchor, timestampMs: 2_000, results: madeUp)
        for voter: ValidatorID in [1, 3, 4] {
            let change = f.viewChange(to: 1, from: voter, prepared: [f.prepared(view: 0, block: b1)])
            _ = replica.step(.receive(.viewChange(change), from: voter), nowMs: 2_100)
        }
        #expect(replica.view == 1)
        // The body arrives; the replica cannot vote for results it did not compute.
        #expect(PipelineWindowTests.prepares(replica.step(.receive(.blockBody(b1), from: 3), nowMs: 2_200)).isEmpty)
        let other = SimulatedWorkload(seed: 77).event(number: 1, timestampMs: 2_250)
        let later = replica.step(.submit(other), nowMs: 2_250) + replica.step(.tick, nowMs: 2_400)
        let proposals = later.compactMap { action -> Proposal? in if case let .broadcast(.proposal(p)) = action { return p } else { return nil } }
        #expect(proposals.allSatisfy { $0.block.height != 1 }, "proposed another block where b1 was re-proposed")
    }

    /// An earlier view's leftovers cannot count once a view is entered
    /// (its votes are refused on arrival): its proposals and incomplete
    /// quorums go, a complete commit quorum and its block stay. Before, a
    /// replica lagging through many views kept each view's far
    /// re-proposals until it caught up.
    @Test func enteringAViewDropsWhatEarlierViewsCanNoLongerCompleteAndKeepsACompleteCommitQuorum() throws {
        let f = try PBFTFixture()
        var replica = try PipelineWindowTests.activeReplica(f, id: 2)
        let b1 = f.block(height: 1, parent: f.anchor, timestampMs: 2_000)
        let b2 = f.block(height: 2, parent: b1.hash(f.crypto), timestampMs: 2_000)
        _ = replica.step(.receive(.proposal(f.proposal(view: 0, block: b1)), from: 1), nowMs: 2_050)
        _ = replica.step(.receive(.proposal(f.proposal(view: 0, block: b2)), from: 1), nowMs: 2_050)
        for vote in f.certificate(.commit, view: 0, height: 2, hash: b2.hash(f.crypto), voters: [1, 3, 4]).votes {
            _ = replica.step(.receive(.vote(vote), from: vote.voter), nowMs: 2_060)
        }
        #expect(replica.retained["slot_proposals"] == 2)
        let votesBefore = replica.retained["slot_votes"] ?? 0
        #expect(votesBefore == 4, "its own prepare for b1 and the commit quorum for b2")
        for voter: ValidatorID in [1, 3, 4] {
            _ = replica.step(.receive(.viewChange(f.viewChange(to: 1, from: voter, prepared: [])), from: voter), nowMs: 2_100)
        }
        #expect(replica.view == 1)
        #expect(replica.retained["slot_proposals"] == 1, "b1's view-0 proposal can no longer be voted for; b2's decided block stays")
        #expect(replica.retained["slot_votes"] == 3, "the complete commit quorum for b2 stays, the lone prepare goes")
        // Once b1 is committed (fetched), b2 commits from the kept quorum.
        let b1Certificate = f.certificate(.commit, view: 0, height: 1, hash: b1.hash(f.crypto), voters: [1, 3, 4])
        let fetched = CommittedBlock(block: b1, blockHash: b1.hash(f.crypto), certificate: b1Certificate)
        _ = replica.step(.receive(.blocks([fetched]), from: 3), nowMs: 2_200)
        #expect(replica.committedHeight == 2)
    }

    /// Seed 9007041: a new leader at height 0 enters view 1 by a NewView
    /// whose quorum proves height 1 committed (b1, certified in view 0). It
    /// must fetch b1 and propose nothing at height 1; before, it proposed
    /// another block there, and honest validators committed it in view 1.
    @Test func aLeaderBehindItsNewViewsBaseProposesNothingAtOrBelowItAndFetchesTheBlocks() throws {
        let f = try PBFTFixture()
        var replica = try PipelineWindowTests.activeReplica(f, id: 2)
        let b1 = f.block(height: 1, parent: f.anchor, timestampMs: 2_000)
        let certificate = f.certificate(.commit, view: 0, height: 1, hash: b1.hash(f.crypto), voters: [1, 3, 4])
        var actions: [Replica.Action] = []
        for voter: ValidatorID in [1, 3, 4] {
            let change = f.viewChange(to: 1, from: voter, committed: voter == 3 ? certificate : nil, prepared: [])
            actions += replica.step(.receive(.viewChange(change), from: voter), nowMs: 2_100)
        }
        #expect(replica.view == 1)
        #expect(replica.committedHeight == 0)
        let fetches = actions.contains { if case .send(.blockRequest, _) = $0 { return true } else { return false } }
        #expect(fetches, "the certified blocks are asked for")
        let other = SimulatedWorkload(seed: 77).event(number: 1, timestampMs: 2_150)
        let later = replica.step(.submit(other), nowMs: 2_150) + replica.step(.tick, nowMs: 2_400)
        let proposals = later.compactMap { action -> Proposal? in if case let .broadcast(.proposal(p)) = action { return p } else { return nil } }
        #expect(proposals.allSatisfy { $0.block.height > 1 }, "proposed a block at a height its NewView proves committed")
    }

    @Test func aBodyThatDoesNotMatchTheHeaderIsDropped() throws {
        var (f, replica, b1, _) = try Self.newLeaderLackingTheBody()
        let impostor = f.block(height: 1, parent: f.anchor, salt: 5, timestampMs: 2_000)
        #expect(PipelineWindowTests.prepares(replica.step(.receive(.blockBody(impostor), from: 3), nowMs: 2_200)).isEmpty)
        #expect(PipelineWindowTests.prepares(replica.step(.receive(.blockBody(b1), from: 4), nowMs: 2_250)) == [1])
    }
}
