/// A validator's signed statement that after executing block `height` (with
/// hash `blockHash` and time `blockTimestampMs`) its state root is
/// `stateRoot`. Sent every `checkpointInterval` blocks.
public struct Checkpoint: Hashable, Sendable {
    public let height: UInt64
    public let blockHash: Hash32
    public let blockTimestampMs: Int64
    public let stateRoot: Hash32
    public let voter: ValidatorID
    public let signature: [UInt8]

    /// A checkpoint as received; `isValid` checks it.
    public init(height: UInt64, blockHash: Hash32, blockTimestampMs: Int64, stateRoot: Hash32, voter: ValidatorID, signature: [UInt8]) {
        self.height = height
        self.blockHash = blockHash
        self.blockTimestampMs = blockTimestampMs
        self.stateRoot = stateRoot
        self.voter = voter
        self.signature = signature
    }

    public static func make(
        height: UInt64, blockHash: Hash32, blockTimestampMs: Int64, stateRoot: Hash32, voter: ValidatorID, signer: any MessageSigner
    ) -> Checkpoint {
        let bytes = signBytes(height: height, blockHash: blockHash, blockTimestampMs: blockTimestampMs, stateRoot: stateRoot, voter: voter)
        return Checkpoint(
            height: height, blockHash: blockHash, blockTimestampMs: blockTimestampMs, stateRoot: stateRoot, voter: voter,
            signature: signer.sign(bytes))
    }

    static func signBytes(height: UInt64, blockHash: Hash32, blockTimestampMs: Int64, stateRoot: Hash32, voter: ValidatorID) -> [UInt8] {
        var encoder = CanonicalEncoder(domain: "cybermesh.pbft.checkpoint.v1")
        encoder.append(height)
        encoder.append(blockHash)
        encoder.append(blockTimestampMs)
        encoder.append(stateRoot)
        encoder.append(voter.value)
        return encoder.bytes
    }

    /// What a quorum must agree on.
    public var claim: Claim { Claim(height: height, blockHash: blockHash, blockTimestampMs: blockTimestampMs, stateRoot: stateRoot) }

    public struct Claim: Hashable, Sendable {
        public let height: UInt64
        public let blockHash: Hash32
        public let blockTimestampMs: Int64
        public let stateRoot: Hash32
    }

    public func isValid(in set: ValidatorSet, crypto: any ConsensusCrypto) -> Bool {
        guard let info = set.info(voter) else { return false }
        let bytes = Self.signBytes(height: height, blockHash: blockHash, blockTimestampMs: blockTimestampMs, stateRoot: stateRoot, voter: voter)
        return crypto.verify(signature: signature, message: bytes, publicKey: info.publicKey)
    }
}

/// A quorum of matching checkpoints: proof, checkable by anyone holding the
/// validator set, that the state after `height` has root `stateRoot`. It is
/// what makes garbage collection safe (no honest replica will need anything
/// below it) and what a snapshot is verified against.
public struct StableCheckpoint: Hashable, Sendable {
    /// In voter order, all with the same claim.
    public let checkpoints: [Checkpoint]

    public init(checkpoints: [Checkpoint]) {
        precondition(!checkpoints.isEmpty, "a stable checkpoint needs checkpoints")
        self.checkpoints = checkpoints.sorted { $0.voter < $1.voter }
    }

    public var claim: Checkpoint.Claim { checkpoints[0].claim }
    public var height: UInt64 { claim.height }
    public var stateRoot: Hash32 { claim.stateRoot }
    public var blockHash: Hash32 { claim.blockHash }

    public func isValid(in set: ValidatorSet, crypto: any ConsensusCrypto) -> Bool {
        var voters = Set<ValidatorID>()
        for checkpoint in checkpoints {
            guard checkpoint.claim == claim, voters.insert(checkpoint.voter).inserted,
                  checkpoint.isValid(in: set, crypto: crypto) else { return false }
        }
        return voters.count >= set.quorum.size
    }
}
