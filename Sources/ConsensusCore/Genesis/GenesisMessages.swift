/// What every genesis attestation commits to: the chain, the exact validator
/// set and the consensus configuration. Validators that disagree on any of
/// them can never form a certificate together.
public struct GenesisParameters: Hashable, Sendable {
    public let chainID: String
    public let validatorSetHash: Hash32
    public let configHash: Hash32

    public init(chainID: String, validatorSetHash: Hash32, configHash: Hash32) {
        self.chainID = chainID
        self.validatorSetHash = validatorSetHash
        self.configHash = configHash
    }

    func encode(into encoder: inout CanonicalEncoder) {
        encoder.append(chainID)
        encoder.append(validatorSetHash)
        encoder.append(configHash)
    }

    /// What differs between two parameter sets, for rejection messages.
    func difference(from other: GenesisParameters) -> String? {
        if chainID != other.chainID { return "chain id \(other.chainID), expected \(chainID)" }
        if validatorSetHash != other.validatorSetHash { return "validator set \(other.validatorSetHash.short), expected \(validatorSetHash.short)" }
        if configHash != other.configHash { return "config \(other.configHash.short), expected \(configHash.short)" }
        return nil
    }
}

/// One validator's signed statement "I am ready to start this chain", with
/// its own clock reading and a fresh nonce. A new one is built and signed for
/// every refresh, so no rebroadcast ever carries an old timestamp.
public struct GenesisReady: Hashable, Sendable {
    public let parameters: GenesisParameters
    public let validator: ValidatorID
    public let timestampMs: Int64
    public let nonce: [UInt8]
    public let signature: [UInt8]

    public static let nonceByteCount = 16

    public init(parameters: GenesisParameters, validator: ValidatorID, timestampMs: Int64, nonce: [UInt8], signature: [UInt8]) {
        self.parameters = parameters
        self.validator = validator
        self.timestampMs = timestampMs
        self.nonce = nonce
        self.signature = signature
    }

    /// Builds and signs a new attestation.
    public static func make(
        parameters: GenesisParameters, validator: ValidatorID, timestampMs: Int64, nonce: [UInt8], signer: any MessageSigner
    ) -> GenesisReady {
        let unsigned = GenesisReady(parameters: parameters, validator: validator, timestampMs: timestampMs, nonce: nonce, signature: [])
        return GenesisReady(
            parameters: parameters, validator: validator, timestampMs: timestampMs, nonce: nonce,
            signature: signer.sign(unsigned.signBytes))
    }

    public var signBytes: [UInt8] {
        var encoder = CanonicalEncoder(domain: "cybermesh.genesis.ready.v1")
        parameters.encode(into: &encoder)
        encoder.append(validator.value)
        encoder.append(timestampMs)
        encoder.append(nonce)
        return encoder.bytes
    }

    /// Identifies this exact message (a refresh changes it).
    public func hash(_ crypto: any ConsensusCrypto) -> Hash32 {
        var encoder = CanonicalEncoder(domain: "cybermesh.genesis.ready.hash.v1")
        encoder.append(signBytes)
        encoder.append(signature)
        return crypto.hash(encoder.bytes)
    }

    /// The encoded size, for bandwidth accounting.
    public var encodedByteCount: Int { signBytes.count + 4 + signature.count }
}

/// Proof that a quorum of the validator set attested readiness with the same
/// parameters, signed by the validator that aggregated it. Consensus starts
/// only on a verified certificate.
public struct GenesisCertificate: Hashable, Sendable {
    public let parameters: GenesisParameters
    /// The aggregation round; its aggregator is the set's leader of view `round`.
    public let round: UInt64
    public let aggregator: ValidatorID
    /// At most one per validator, in validator-id order.
    public let attestations: [GenesisReady]
    public let signature: [UInt8]

    public init(parameters: GenesisParameters, round: UInt64, aggregator: ValidatorID, attestations: [GenesisReady], signature: [UInt8]) {
        self.parameters = parameters
        self.round = round
        self.aggregator = aggregator
        self.attestations = attestations
        self.signature = signature
    }

    static func make(
        parameters: GenesisParameters, round: UInt64, aggregator: ValidatorID, attestations: [GenesisReady],
        signer: any MessageSigner
    ) -> GenesisCertificate {
        let sorted = attestations.sorted { $0.validator < $1.validator }
        let unsigned = GenesisCertificate(parameters: parameters, round: round, aggregator: aggregator, attestations: sorted, signature: [])
        return GenesisCertificate(
            parameters: parameters, round: round, aggregator: aggregator, attestations: sorted,
            signature: signer.sign(unsigned.signBytes))
    }

    public var signBytes: [UInt8] {
        var encoder = CanonicalEncoder(domain: "cybermesh.genesis.certificate.v1")
        parameters.encode(into: &encoder)
        encoder.append(round)
        encoder.append(aggregator.value)
        encoder.append(UInt32(attestations.count))
        for attestation in attestations {
            encoder.append(attestation.signBytes)
            encoder.append(attestation.signature)
        }
        return encoder.bytes
    }

    /// The certificate's identity, shown as `genesis.hash`.
    public func hash(_ crypto: any ConsensusCrypto) -> Hash32 {
        var encoder = CanonicalEncoder(domain: "cybermesh.genesis.certificate.hash.v1")
        encoder.append(signBytes)
        encoder.append(signature)
        return crypto.hash(encoder.bytes)
    }

    public var validators: [ValidatorID] { attestations.map(\.validator) }

    /// Checks everything a replica must check before activating consensus
    /// on this certificate: parameters, aggregator, its signature, and a
    /// quorum of valid, distinct, in-set attestations with the same parameters.
    /// Attestation timestamps are not compared with the local clock: a
    /// validator that joins (or restarts) much later must accept it.
    public func verify(parameters expected: GenesisParameters, validatorSet: ValidatorSet, crypto: any ConsensusCrypto) -> GenesisCertificateError? {
        if let difference = expected.difference(from: parameters) { return .parameterMismatch(difference) }
        guard let aggregatorInfo = validatorSet.info(aggregator) else { return .aggregatorNotInSet(aggregator) }
        guard crypto.verify(signature: signature, message: signBytes, publicKey: aggregatorInfo.publicKey) else {
            return .badAggregatorSignature(aggregator)
        }
        var seen = Set<ValidatorID>()
        for attestation in attestations {
            guard let info = validatorSet.info(attestation.validator) else { return .attestationNotInSet(attestation.validator) }
            guard seen.insert(attestation.validator).inserted else { return .duplicateAttestation(attestation.validator) }
            guard attestation.parameters == expected else { return .attestationParameterMismatch(attestation.validator) }
            guard crypto.verify(signature: attestation.signature, message: attestation.signBytes, publicKey: info.publicKey) else {
                return .badAttestationSignature(attestation.validator)
            }
        }
        guard attestations.count >= validatorSet.quorum.size else {
            return .belowQuorum(count: attestations.count, quorum: validatorSet.quorum.size)
        }
        return nil
    }
}

/// Why a genesis certificate is refused.
public enum GenesisCertificateError: Error, Equatable, Sendable, CustomStringConvertible {
    case parameterMismatch(String)
    case aggregatorNotInSet(ValidatorID)
    case badAggregatorSignature(ValidatorID)
    case attestationNotInSet(ValidatorID)
    case duplicateAttestation(ValidatorID)
    case attestationParameterMismatch(ValidatorID)
    case badAttestationSignature(ValidatorID)
    case belowQuorum(count: Int, quorum: Int)

    public var description: String {
        switch self {
        case let .parameterMismatch(detail): return "certificate for other parameters: \(detail)"
        case let .aggregatorNotInSet(id): return "aggregator \(id) is not in the validator set"
        case let .badAggregatorSignature(id): return "aggregator \(id)'s signature does not verify"
        case let .attestationNotInSet(id): return "attestation from \(id), which is not in the validator set"
        case let .duplicateAttestation(id): return "two attestations from validator \(id)"
        case let .attestationParameterMismatch(id): return "validator \(id)'s attestation is for other parameters"
        case let .badAttestationSignature(id): return "validator \(id)'s attestation signature does not verify"
        case let .belowQuorum(count, quorum): return "\(count) attestations, the quorum is \(quorum)"
        }
    }
}

/// The genesis messages validators exchange.
public enum GenesisMessage: Hashable, Sendable {
    case ready(GenesisReady)
    case certificate(GenesisCertificate)
}
