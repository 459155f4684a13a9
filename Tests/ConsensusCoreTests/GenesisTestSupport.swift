import ConsensusCore
import ConsensusSimulation

/// Builds genesis ceremonies of simulated validators for unit tests.
struct GenesisFixture {
    let set: ValidatorSet
    let parameters: GenesisParameters
    let crypto = SimulatedCrypto()

    init(validators: Int = 5, quorumOverride: Int? = nil) throws {
        set = try simulatedValidatorSet(count: validators, quorumOverride: quorumOverride)
        parameters = GenesisParameters(chainID: "test-chain", validatorSetHash: set.hash, configHash: SimulatedCrypto().hash([1]))
    }

    func ceremony(_ id: ValidatorID, config: GenesisConfig = GenesisConfig()) -> GenesisCeremony {
        GenesisCeremony(
            localID: id, validatorSet: set, parameters: parameters, config: config, crypto: crypto,
            signer: SimulatedSigner(validator: id), seed: UInt64(id.value))
    }

    /// A validly signed attestation of validator `id` at `timestampMs`.
    func ready(_ id: ValidatorID, at timestampMs: Int64, nonce: UInt8 = 1) -> GenesisReady {
        GenesisReady.make(
            parameters: parameters, validator: id, timestampMs: timestampMs,
            nonce: Array(repeating: nonce, count: 16), signer: SimulatedSigner(validator: id))
    }
}

extension Array where Element == GenesisCeremony.Action {
    var broadcastReadies: [GenesisReady] {
        compactMap { if case let .broadcast(.ready(ready)) = $0 { return ready } else { return nil } }
    }

    var activatedCertificate: GenesisCertificate? {
        for action in self { if case let .activate(certificate) = action { return certificate } }
        return nil
    }
}
