import ConsensusCore
import ConsensusSimulation
import Synchronization
import Testing

/// Counts the signature checks that reach the real verifier.
final class CountingCrypto: ConsensusCrypto {
    let base = SimulatedCrypto()
    let verifications = Atomic<Int>(0)

    func hash(_ bytes: [UInt8]) -> Hash32 { base.hash(bytes) }

    func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        verifications.add(1, ordering: .relaxed)
        return base.verify(signature: signature, message: message, publicKey: publicKey)
    }

    var count: Int { verifications.load(ordering: .relaxed) }
}

@Suite struct VerifiedSignatureCacheTests {
    @Test func aViewChangeCheckedOnceCostsNoSignatureCheckWhenANewViewRepeatsIt() throws {
        let f = try PBFTFixture()
        let block = f.block(height: 1, parent: f.anchor)
        let change = f.viewChange(to: 1, from: 2, prepared: [f.prepared(view: 0, block: block)])
        let counting = CountingCrypto()
        let cache = VerifiedSignatureCache(base: counting)
        #expect(change.isValid(in: f.set, anchor: f.anchor, crypto: cache))
        let first = counting.count
        #expect(first >= 1 + f.set.quorum.size, "the view change and its prepare quorum were checked")
        // The same view change again, as a NewView carries it.
        #expect(change.isValid(in: f.set, anchor: f.anchor, crypto: cache))
        #expect(counting.count == first)
    }

    @Test func aForgedSignatureIsCheckedAndRefusedEveryTime() throws {
        let f = try PBFTFixture()
        let vote = Vote.make(phase: .prepare, view: 0, height: 1, blockHash: f.anchor, voter: 2, signer: SimulatedSigner(validator: 3))
        let counting = CountingCrypto()
        let cache = VerifiedSignatureCache(base: counting)
        #expect(!vote.isValid(in: f.set, crypto: cache))
        #expect(!vote.isValid(in: f.set, crypto: cache))
        #expect(counting.count == 2)
    }

    @Test func aVerifiedSignatureDoesNotVouchForAnotherMessage() throws {
        let f = try PBFTFixture()
        let signer = SimulatedSigner(validator: 2)
        let vote = Vote.make(phase: .prepare, view: 0, height: 1, blockHash: f.anchor, voter: 2, signer: signer)
        let cache = VerifiedSignatureCache(base: CountingCrypto())
        #expect(vote.isValid(in: f.set, crypto: cache))
        // Its signature on another height's vote.
        let moved = Vote(phase: .prepare, view: 0, height: 2, blockHash: f.anchor, voter: 2, signature: vote.signature)
        #expect(!moved.isValid(in: f.set, crypto: cache))
    }

    @Test func theCacheForgetsTheOldestBeyondItsCapacity() throws {
        let f = try PBFTFixture()
        let counting = CountingCrypto()
        let cache = VerifiedSignatureCache(base: counting, capacity: 4)
        let votes = (1...6).map { Vote.make(phase: .prepare, view: 0, height: UInt64($0), blockHash: f.anchor, voter: 2, signer: SimulatedSigner(validator: 2)) }
        for vote in votes { #expect(vote.isValid(in: f.set, crypto: cache)) }
        #expect(cache.count == 4)
        #expect(votes[0].isValid(in: f.set, crypto: cache))
        #expect(counting.count == 7, "the oldest was forgotten and checked again")
        #expect(votes[5].isValid(in: f.set, crypto: cache))
        #expect(counting.count == 7, "the newest is still known")
    }
}
