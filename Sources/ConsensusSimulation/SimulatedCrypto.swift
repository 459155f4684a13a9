import ConsensusCore

/// A fast, deterministic stand-in for SHA-256 and Ed25519 in simulations and
/// unit tests, so thousands of seeds run in seconds. Hash: four 64-bit lanes
/// of a strong integer mixer. Signature: the hash of (public key, message),
/// widened to 64 bytes.
///
/// It is not unforgeable to someone who knows the scheme; in the simulator
/// only the adversary code could exploit that, and it is written never to:
/// its "forged" signatures are random bytes or made with its own key, as a
/// real attacker's would be. The daemon always uses libsodium.
public struct SimulatedCrypto: ConsensusCrypto {
    public init() {}

    public func hash(_ bytes: [UInt8]) -> Hash32 {
        var lanes: [UInt64] = [0x6A09_E667_F3BC_C908, 0xBB67_AE85_84CA_A73B, 0x3C6E_F372_FE94_F82B, 0xA54F_F53A_5F1D_36F1]
        var index = 0
        while index < bytes.count {
            var word: UInt64 = 0
            for offset in 0..<8 where index + offset < bytes.count {
                word |= UInt64(bytes[index + offset]) << UInt64(offset * 8)
            }
            for lane in 0..<4 {
                lanes[lane] = Self.mix(lanes[lane] ^ word &+ UInt64(lane) &* 0x9E37_79B9_7F4A_7C15)
            }
            index += 8
        }
        for lane in 0..<4 { lanes[lane] = Self.mix(lanes[lane] ^ UInt64(bytes.count) ^ lanes[(lane + 1) % 4]) }
        var out: [UInt8] = []
        out.reserveCapacity(32)
        for lane in lanes { for shift in stride(from: 0, to: 64, by: 8) { out.append(UInt8(truncatingIfNeeded: lane >> UInt64(shift))) } }
        return Hash32(bytes: out)!
    }

    public func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        signature == Self.signature(message: message, publicKey: publicKey, crypto: self)
    }

    static func signature(message: [UInt8], publicKey: [UInt8], crypto: SimulatedCrypto) -> [UInt8] {
        let first = crypto.hash(publicKey + message).bytes
        return first + crypto.hash(first + publicKey).bytes
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// The simulated signing key of one validator.
public struct SimulatedSigner: MessageSigner {
    public let publicKey: [UInt8]

    /// Validator `id`'s key in simulation: derived from the id.
    public init(validator id: ValidatorID) {
        publicKey = SimulatedCrypto().hash(Array("simulated validator key \(id.value)".utf8)).bytes
    }

    /// A simulated producer's signing key, derived from its id.
    public init(producer id: String) {
        publicKey = Self.producerKey(id)
    }

    static func producerKey(_ producer: String) -> [UInt8] {
        SimulatedCrypto().hash(Array("simulated producer key \(producer)".utf8)).bytes
    }

    public func sign(_ message: [UInt8]) -> [UInt8] {
        SimulatedCrypto.signature(message: message, publicKey: publicKey, crypto: SimulatedCrypto())
    }
}

/// A validator set of `count` simulated validators (ids 1...count).
public func simulatedValidatorSet(count: Int, quorumOverride: Int? = nil) throws -> ValidatorSet {
    let validators = (1...count).map { index -> ValidatorInfo in
        let id = ValidatorID(UInt32(index))
        return ValidatorInfo(id: id, name: "v\(index)", publicKey: SimulatedSigner(validator: id).publicKey)
    }
    return try ValidatorSet(validators: validators, quorumOverride: quorumOverride, crypto: SimulatedCrypto())
}
