/// A leader's proposal of a block at its height in a view (PBFT's
/// pre-prepare), signed by the leader of that view.
public struct Proposal: Hashable, Sendable {
    public let view: UInt64
    public let block: Block
    public let blockHash: Hash32
    public let signature: [UInt8]

    public static func make(view: UInt64, block: Block, crypto: any ConsensusCrypto, signer: any MessageSigner) -> Proposal {
        let hash = block.hash(crypto)
        return Proposal(view: view, block: block, blockHash: hash, signature: signer.sign(signBytes(view: view, height: block.height, blockHash: hash)))
    }

    /// A proposal as received; `isValid` checks it.
    public init(view: UInt64, block: Block, blockHash: Hash32, signature: [UInt8]) {
        self.view = view
        self.block = block
        self.blockHash = blockHash
        self.signature = signature
    }

    /// Whether `signature` is the leader of `view`'s over (view, height, hash):
    /// what a proposal and a NewView's re-proposal both carry.
    static func isSignedByLeader(
        view: UInt64, height: UInt64, blockHash: Hash32, signature: [UInt8], in set: ValidatorSet, crypto: any ConsensusCrypto
    ) -> Bool {
        guard let leader = set.info(set.leader(ofView: view)) else { return false }
        return crypto.verify(signature: signature, message: signBytes(view: view, height: height, blockHash: blockHash), publicKey: leader.publicKey)
    }

    static func signBytes(view: UInt64, height: UInt64, blockHash: Hash32) -> [UInt8] {
        var encoder = CanonicalEncoder(domain: "cybermesh.pbft.proposal.v1")
        encoder.append(view)
        encoder.append(height)
        encoder.append(blockHash)
        return encoder.bytes
    }

    /// Signed by the leader of its view, and the hash is the block's. The
    /// signature is checked first: hashing every payload for the Merkle root
    /// is the expensive part, and only the leader's word earns it.
    public func isValid(in set: ValidatorSet, crypto: any ConsensusCrypto) -> Bool {
        guard Self.isSignedByLeader(view: view, height: block.height, blockHash: blockHash, signature: signature, in: set, crypto: crypto)
        else { return false }
        guard block.hash(crypto) == blockHash else { return false }
        return MerkleTree.transactionRoot(of: block.transactions, crypto: crypto) == block.transactionRoot
    }
}

/// PBFT's two voting phases.
public enum VotePhase: UInt8, Hashable, Sendable {
    case prepare = 1
    case commit = 2
}

/// One validator's prepare or commit vote for a block hash at (view, height).
public struct Vote: Hashable, Sendable {
    public let phase: VotePhase
    public let view: UInt64
    public let height: UInt64
    public let blockHash: Hash32
    public let voter: ValidatorID
    public let signature: [UInt8]

    public static func make(phase: VotePhase, view: UInt64, height: UInt64, blockHash: Hash32, voter: ValidatorID, signer: any MessageSigner) -> Vote {
        let bytes = signBytes(phase: phase, view: view, height: height, blockHash: blockHash, voter: voter)
        return Vote(phase: phase, view: view, height: height, blockHash: blockHash, voter: voter, signature: signer.sign(bytes))
    }

    public init(phase: VotePhase, view: UInt64, height: UInt64, blockHash: Hash32, voter: ValidatorID, signature: [UInt8]) {
        self.phase = phase
        self.view = view
        self.height = height
        self.blockHash = blockHash
        self.voter = voter
        self.signature = signature
    }

    static func signBytes(phase: VotePhase, view: UInt64, height: UInt64, blockHash: Hash32, voter: ValidatorID) -> [UInt8] {
        var encoder = CanonicalEncoder(domain: "cybermesh.pbft.vote.v1")
        encoder.append(phase.rawValue)
        encoder.append(view)
        encoder.append(height)
        encoder.append(blockHash)
        encoder.append(voter.value)
        return encoder.bytes
    }

    public func isValid(in set: ValidatorSet, crypto: any ConsensusCrypto) -> Bool {
        guard let info = set.info(voter) else { return false }
        return crypto.verify(
            signature: signature, message: Self.signBytes(phase: phase, view: view, height: height, blockHash: blockHash, voter: voter),
            publicKey: info.publicKey)
    }
}

/// A quorum of votes of one phase for one (view, height, block hash), from
/// distinct validators of the set, each validly signed.
public struct QuorumCertificate: Hashable, Sendable {
    public let phase: VotePhase
    public let view: UInt64
    public let height: UInt64
    public let blockHash: Hash32
    /// In voter order.
    public let votes: [Vote]

    public init(votes: [Vote]) {
        let sorted = votes.sorted { $0.voter < $1.voter }
        precondition(!sorted.isEmpty, "a certificate needs votes")
        phase = sorted[0].phase
        view = sorted[0].view
        height = sorted[0].height
        blockHash = sorted[0].blockHash
        self.votes = sorted
    }

    public var signers: [ValidatorID] { votes.map(\.voter) }

    public func isValid(in set: ValidatorSet, crypto: any ConsensusCrypto) -> Bool {
        var seen = Set<ValidatorID>()
        for vote in votes {
            guard vote.phase == phase, vote.view == view, vote.height == height, vote.blockHash == blockHash else { return false }
            guard seen.insert(vote.voter).inserted, vote.isValid(in: set, crypto: crypto) else { return false }
        }
        return seen.count >= set.quorum.size
    }
}

/// Proof that a block was prepared: its proposal and a quorum of prepare
/// votes for it in the same view.
public struct PreparedCertificate: Hashable, Sendable {
    public let proposal: Proposal
    public let prepares: QuorumCertificate

    public init(proposal: Proposal, prepares: QuorumCertificate) {
        self.proposal = proposal
        self.prepares = prepares
    }

    public var view: UInt64 { proposal.view }
    public var height: UInt64 { proposal.block.height }
    public var block: Block { proposal.block }
    public var blockHash: Hash32 { proposal.blockHash }

    public func isValid(in set: ValidatorSet, crypto: any ConsensusCrypto) -> Bool {
        prepares.phase == .prepare && prepares.view == proposal.view && prepares.height == proposal.block.height
            && prepares.blockHash == proposal.blockHash
            && proposal.isValid(in: set, crypto: crypto) && prepares.isValid(in: set, crypto: crypto)
    }
}

/// What a view change carries for a prepared block: its header, hash and
/// the quorum of prepare votes, not its transactions (a window of full
/// blocks would not fit in a frame). The leader's signature is not needed:
/// a quorum prepared that hash in that view.
public struct PreparedClaim: Hashable, Sendable {
    public let header: BlockHeader
    public let blockHash: Hash32
    public let prepares: QuorumCertificate

    public init(header: BlockHeader, blockHash: Hash32, prepares: QuorumCertificate) {
        self.header = header
        self.blockHash = blockHash
        self.prepares = prepares
    }

    public var view: UInt64 { prepares.view }
    public var height: UInt64 { header.height }

    public func isValid(in set: ValidatorSet, crypto: any ConsensusCrypto) -> Bool {
        prepares.phase == .prepare && prepares.height == header.height && prepares.blockHash == blockHash
            && header.hash(crypto) == blockHash && prepares.isValid(in: set, crypto: crypto)
    }
}

extension PreparedCertificate {
    /// The certificate as a view change carries it.
    public var claim: PreparedClaim { PreparedClaim(header: block.header, blockHash: blockHash, prepares: prepares) }
}

/// A re-proposal in a NewView: the new leader's signed proposal of a block
/// it names by header and hash. A replica holding the block (it saw the
/// original proposal) proceeds at once; one that does not fetches the
/// transactions by hash and checks them against the header.
public struct ProposalHeader: Hashable, Sendable {
    public let view: UInt64
    public let header: BlockHeader
    public let blockHash: Hash32
    public let signature: [UInt8]

    public init(view: UInt64, header: BlockHeader, blockHash: Hash32, signature: [UInt8]) {
        self.view = view
        self.header = header
        self.blockHash = blockHash
        self.signature = signature
    }

    static func make(view: UInt64, header: BlockHeader, blockHash: Hash32, signer: any MessageSigner) -> ProposalHeader {
        ProposalHeader(
            view: view, header: header, blockHash: blockHash,
            signature: signer.sign(Proposal.signBytes(view: view, height: header.height, blockHash: blockHash)))
    }

    /// Signed by the leader of its view over the header's hash.
    public func isValid(in set: ValidatorSet, crypto: any ConsensusCrypto) -> Bool {
        Proposal.isSignedByLeader(view: view, height: header.height, blockHash: blockHash, signature: signature, in: set, crypto: crypto)
            && header.hash(crypto) == blockHash
    }

    /// The full proposal, once the block is at hand (`header.isHeader(of:)` checked by the caller).
    func proposal(with block: Block) -> Proposal { Proposal(view: view, block: block, blockHash: blockHash, signature: signature) }
}

/// A committed block with the quorum of commit votes that proves it: what
/// the block store keeps, persisters check and lagging replicas fetch.
public struct CommittedBlock: Hashable, Sendable {
    public let block: Block
    public let blockHash: Hash32
    public let certificate: QuorumCertificate

    /// A committed block as received; `isValid` checks it.
    public init(block: Block, blockHash: Hash32, certificate: QuorumCertificate) {
        self.block = block
        self.blockHash = blockHash
        self.certificate = certificate
    }

    public var height: UInt64 { block.height }
    /// The view in which it was committed.
    public var view: UInt64 { certificate.view }

    public func isValid(in set: ValidatorSet, crypto: any ConsensusCrypto) -> Bool {
        certificate.phase == .commit && certificate.height == block.height && certificate.blockHash == blockHash
            && block.hash(crypto) == blockHash
            && certificate.isValid(in: set, crypto: crypto)
            && MerkleTree.transactionRoot(of: block.transactions, crypto: crypto) == block.transactionRoot
    }
}
