import ConsensusCore
import Testing
@testable import Wire

/// Every consensus message survives the Wire with its signatures intact,
/// signed with real Ed25519 keys.
@Suite struct ConsensusCodecTests {
    struct Cluster {
        let keys = (1...4).map { try! Ed25519.SigningKey(seed: Array(repeating: UInt8($0), count: 32)) }
        let crypto = SodiumConsensusCrypto()
        let set: ValidatorSet
        let parameters: GenesisParameters
        let anchor: Hash32

        init() throws {
            let keys = self.keys
            set = try ValidatorSet(
                validators: (1...4).map { ValidatorInfo(id: ValidatorID(UInt32($0)), name: "v\($0)", publicKey: keys[$0 - 1].publicKey.bytes) },
                crypto: SodiumConsensusCrypto())
            parameters = GenesisParameters(chainID: "codec-test", validatorSetHash: set.hash, configHash: SodiumConsensusCrypto().hash([1]))
            anchor = Block.genesisHash(parameters, crypto: SodiumConsensusCrypto())
        }

        func signer(_ id: UInt32) -> SodiumMessageSigner { SodiumMessageSigner(key: keys[Int(id) - 1]) }

        func votes(_ phase: VotePhase, view: UInt64, height: UInt64, hash: Hash32) -> QuorumCertificate {
            QuorumCertificate(votes: (1...3).map { Vote.make(phase: phase, view: view, height: height, blockHash: hash, voter: ValidatorID(UInt32($0)), signer: signer(UInt32($0))) })
        }
    }

    static func messages() throws -> [ConsensusMessage] {
        let c = try Cluster()
        let ready = GenesisReady.make(parameters: c.parameters, validator: 2, timestampMs: 1_767_225_600_000, nonce: Array(repeating: 9, count: 16), signer: c.signer(2))
        let readies = (1...3).map { GenesisReady.make(parameters: c.parameters, validator: ValidatorID(UInt32($0)), timestampMs: 5, nonce: Array(repeating: UInt8($0), count: 16), signer: c.signer(UInt32($0))) }
        let unsigned = GenesisCertificate(parameters: c.parameters, round: 0, aggregator: 1, attestations: readies, signature: [])
        let certificate = GenesisCertificate(parameters: c.parameters, round: 0, aggregator: 1, attestations: readies, signature: c.signer(1).sign(unsigned.signBytes))
        let transactions = (0..<3).map { Transaction(id: c.crypto.hash([UInt8($0)]), payload: Array("payload \($0) ✓".utf8)) }
        let block1 = Block.make(height: 1, previousHash: c.anchor, proposer: 1, timestampMs: 10, transactions: transactions, results: .genesis(crypto: c.crypto), crypto: c.crypto)
        let hash1 = block1.hash(c.crypto)
        let block2 = Block.make(height: 2, previousHash: hash1, proposer: 1, timestampMs: 11, transactions: [], results: .genesis(crypto: c.crypto), crypto: c.crypto)
        let proposal1 = Proposal.make(view: 0, block: block1, crypto: c.crypto, signer: c.signer(1))
        let proposal2 = Proposal.make(view: 0, block: block2, crypto: c.crypto, signer: c.signer(1))
        let committed = c.votes(.commit, view: 0, height: 1, hash: hash1)
        let prepared2 = PreparedCertificate(proposal: proposal2, prepares: c.votes(.prepare, view: 0, height: 2, hash: proposal2.blockHash))
        let change = ViewChange.make(newView: 1, voter: 3, committed: committed, prepared: [prepared2.claim], signer: c.signer(3))
        let empty = ViewChange.make(newView: 1, voter: 4, committed: nil, prepared: [], signer: c.signer(4))
        let reproposal = ProposalHeader(
            view: 1, header: block2.header, blockHash: block2.hash(c.crypto),
            signature: Proposal.make(view: 1, block: block2, crypto: c.crypto, signer: c.signer(2)).signature)
        // The codec carries whatever signature it is given; replicas verify it.
        let newView = NewView(view: 1, viewChanges: [change, empty], proposals: [reproposal], signature: Array(repeating: 3, count: 64))
        let root = c.crypto.hash([7])
        let checkpoints = (1...3).map { Checkpoint.make(height: 1, blockHash: hash1, blockTimestampMs: 10, stateRoot: root, voter: ValidatorID(UInt32($0)), signer: c.signer(UInt32($0))) }
        let stable = StableCheckpoint(checkpoints: checkpoints)
        let entries = [StateEntry(key: StateKey.policy(id: "p").bytes, value: [1, 2, 3]), StateEntry(key: [0x11, 5], value: [])]
        return [
            .genesis(.ready(ready)),
            .genesis(.certificate(certificate)),
            .proposal(proposal1),
            .vote(Vote.make(phase: .prepare, view: 7, height: 1, blockHash: hash1, voter: 4, signer: c.signer(4))),
            .vote(Vote.make(phase: .commit, view: 0, height: 1, blockHash: hash1, voter: 2, signer: c.signer(2))),
            .viewChange(change),
            .viewChange(empty),
            .newView(newView),
            .heartbeat(LeaderHeartbeat(view: 3, leader: 4, committedHeight: 12, sentAtMs: -7, signature: Array(repeating: 5, count: 64))),
            .blockRequest(fromHeight: 42),
            .blocks([CommittedBlock(block: block1, blockHash: hash1, certificate: committed)]),
            .blocks([]),
            .checkpoint(checkpoints[0]),
            .snapshotRequest(height: 100, chunk: 3),
            .snapshotChunk(SnapshotChunk(checkpoint: stable, index: 0, count: 2, block: CommittedBlock(block: block1, blockHash: hash1, certificate: committed), entries: entries)),
            .snapshotChunk(SnapshotChunk(checkpoint: stable, index: 1, count: 2, block: nil, entries: [])),
            .blockBodyRequest(height: 2, blockHash: block2.hash(c.crypto)),
            .blockBody(block1),
        ]
    }

    @Test func everyConsensusMessageKindRoundTrips() throws {
        let messages = try Self.messages()
        #expect(Set(messages.map { WireMessage.consensus($0).kind }) == MessageKind.consensus)
        for message in messages {
            let decoded = try EnvelopeCodec.decode(EnvelopeCodec.encode(.consensus(message)))
            #expect(decoded == .consensus(message), "\(message.kind) did not survive the Wire")
        }
    }

    @Test func signaturesStillVerifyAfterTheWire() throws {
        let c = try Cluster()
        for message in try Self.messages() {
            guard case let .consensus(decoded) = try EnvelopeCodec.decode(EnvelopeCodec.encode(.consensus(message))) else { continue }
            switch decoded {
            case let .genesis(.certificate(certificate)):
                #expect(certificate.verify(parameters: c.parameters, validatorSet: c.set, crypto: c.crypto) == nil)
            case let .proposal(proposal):
                #expect(proposal.isValid(in: c.set, crypto: c.crypto))
            case let .viewChange(change):
                #expect(change.isValid(in: c.set, anchor: c.anchor, crypto: c.crypto))
            case let .blocks(blocks):
                #expect(blocks.allSatisfy { $0.isValid(in: c.set, crypto: c.crypto) })
            case let .checkpoint(checkpoint):
                #expect(checkpoint.isValid(in: c.set, crypto: c.crypto))
            case let .snapshotChunk(chunk):
                #expect(chunk.checkpoint.isValid(in: c.set, crypto: c.crypto))
            default:
                break
            }
        }
    }

    @Test func aHashOfTheWrongLengthIsAnInvalidField() throws {
        // Envelope { version 1, vote (23) { phase 1, block_hash: 3 bytes } }
        let vote: [UInt8] = [0x08, 0x01, 0x22, 0x03, 1, 2, 3]
        let bytes: [UInt8] = [0x08, 0x01, 0xBA, 0x01, UInt8(vote.count)] + vote
        #expect(throws: EnvelopeError.invalidField(kind: .vote, field: "block_hash")) { try EnvelopeCodec.decode(bytes) }
    }

    @Test func aVoteWithoutAPhaseIsAnInvalidField() throws {
        let vote: [UInt8] = [0x22, 0x20] + Array(repeating: 7, count: 32)
        let bytes: [UInt8] = [0x08, 0x01, 0xBA, 0x01, UInt8(vote.count)] + vote
        #expect(throws: EnvelopeError.invalidField(kind: .vote, field: "phase")) { try EnvelopeCodec.decode(bytes) }
    }

    @Test func aSignedVoteForViewUInt64MaxIsRefusedAsOutOfRangeNamingTheField() throws {
        let cluster = try Cluster()
        let vote = Vote.make(phase: .commit, view: .max, height: 3, blockHash: cluster.crypto.hash([1]), voter: 2, signer: cluster.signer(2))
        let bytes = EnvelopeCodec.encode(.consensus(.vote(vote)))
        #expect(throws: EnvelopeError.outOfRange(kind: .vote, field: "vote.view")) { try EnvelopeCodec.decode(bytes) }
        let blocks = EnvelopeCodec.encode(.consensus(.blockRequest(fromHeight: ConsensusLimits.maximumHeight + 1)))
        #expect(throws: EnvelopeError.outOfRange(kind: .blockRequest, field: "block_request.from_height")) { try EnvelopeCodec.decode(blocks) }
    }
}
