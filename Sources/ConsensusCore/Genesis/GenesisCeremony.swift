/// The zero-trust genesis ceremony of one validator, as a pure state
/// machine: feed it the clock and peer messages, perform the actions it
/// returns. See docs/consensus.md ("Genesis").
///
/// Phases: collecting attestations (rebroadcasting its own, freshly signed
/// each refresh, with exponential backoff) until it holds a valid
/// certificate, then complete. The aggregator of round r is the leader of
/// view r; every validator that has seen a quorum but no certificate for
/// `aggregatorTimeoutMs` moves to the next round, so a dead aggregator is
/// replaced.
public struct GenesisCeremony: Sendable {
    /// What the driver must do.
    public enum Action: Equatable, Sendable {
        case broadcast(GenesisMessage)
        case send(GenesisMessage, to: ValidatorID)
        /// Make the certificate durable; `activate` follows it in the same output.
        case persist(GenesisCertificate)
        /// Genesis is complete: start consensus on this certificate.
        case activate(GenesisCertificate)
    }

    /// What `/status` shows about the ceremony.
    public struct Status: Equatable, Sendable {
        public var phase: Phase
        public var round: UInt64
        public var aggregator: ValidatorID
        public var attestationsHeld: [ValidatorID]
        public var missing: [ValidatorID]
        public var quorum: Int
        /// The latest reason each validator's attestation was refused.
        public var rejections: [ValidatorID: String]
        public var certificateHash: Hash32?
    }

    public enum Phase: String, Sendable {
        case collecting
        case complete
    }

    public let localID: ValidatorID
    public let validatorSet: ValidatorSet
    public let parameters: GenesisParameters
    public let config: GenesisConfig
    private let crypto: any ConsensusCrypto
    private let signer: any MessageSigner
    private var random: SeededGenerator

    private var localReady: GenesisReady?
    private var attestations: [ValidatorID: GenesisReady] = [:]
    private var rejections: [ValidatorID: String] = [:]
    private var nextRebroadcastMs: Int64 = 0
    private var rebroadcastIntervalMs: Int64
    private var round: UInt64 = 0
    private var quorumSeenSinceMs: Int64?
    private var graceStartedMs: Int64?
    private var lastCertificateReplyMs: [ValidatorID: Int64] = [:]
    public private(set) var certificate: GenesisCertificate?
    /// Messages this validator broadcast, for bandwidth accounting.
    public private(set) var broadcastCount = 0
    public private(set) var broadcastBytes = 0

    public init(
        localID: ValidatorID, validatorSet: ValidatorSet, parameters: GenesisParameters, config: GenesisConfig,
        crypto: any ConsensusCrypto, signer: any MessageSigner, seed: UInt64
    ) {
        precondition(validatorSet.contains(localID), "validator \(localID) is not in the set")
        self.localID = localID
        self.validatorSet = validatorSet
        self.parameters = parameters
        self.config = config
        self.crypto = crypto
        self.signer = signer
        self.random = SeededGenerator(seed: seed)
        self.rebroadcastIntervalMs = config.rebroadcastBaseMs
    }

    public var isComplete: Bool { certificate != nil }

    /// The current aggregator (leader of view `round`).
    public var aggregator: ValidatorID { validatorSet.leader(ofView: round) }

    /// Adopts a certificate restored from disk; no ceremony runs again.
    public mutating func restore(_ certificate: GenesisCertificate) throws(GenesisCertificateError) -> [Action] {
        if let error = certificate.verify(parameters: parameters, validatorSet: validatorSet, crypto: crypto) { throw error }
        self.certificate = certificate
        return [.activate(certificate)]
    }

    /// Starts the ceremony: builds, signs and broadcasts the first attestation.
    public mutating func start(nowMs: Int64) -> [Action] {
        guard certificate == nil else { return [] }
        return rebroadcast(nowMs: nowMs)
    }

    /// Advances timers: rebroadcast, grace expiry, aggregator failover.
    public mutating func tick(nowMs: Int64) -> [Action] {
        guard certificate == nil else { return [] }
        var actions: [Action] = []
        if nowMs >= nextRebroadcastMs { actions += rebroadcast(nowMs: nowMs) }
        if let since = quorumSeenSinceMs, nowMs - since >= config.aggregatorTimeoutMs {
            round += 1
            quorumSeenSinceMs = nowMs
            graceStartedMs = nil
        }
        actions += aggregateIfDue(nowMs: nowMs)
        return actions
    }

    /// The next time `tick` has work to do (the driver's timer).
    public var nextDeadlineMs: Int64? {
        guard certificate == nil else { return nil }
        var deadline = nextRebroadcastMs
        if let since = quorumSeenSinceMs { deadline = min(deadline, since + config.aggregatorTimeoutMs) }
        if let grace = graceStartedMs, aggregator == localID { deadline = min(deadline, grace + config.aggregationGraceMs) }
        return deadline
    }

    /// Handles a genesis message from a peer.
    public mutating func receive(_ message: GenesisMessage, from sender: ValidatorID, nowMs: Int64) -> [Action] {
        switch message {
        case let .ready(ready):
            return receiveReady(ready, from: sender, nowMs: nowMs)
        case let .certificate(candidate):
            guard certificate == nil else { return [] }
            if let error = candidate.verify(parameters: parameters, validatorSet: validatorSet, crypto: crypto) {
                rejections[sender] = "certificate refused: \(error)"
                return []
            }
            return adopt(candidate)
        }
    }

    /// Checks an attestation as a receiver must. Nil means valid.
    public func check(_ ready: GenesisReady, nowMs: Int64) -> String? {
        guard let info = validatorSet.info(ready.validator) else { return "validator \(ready.validator) is not in the set" }
        if let difference = parameters.difference(from: ready.parameters) { return "parameters differ: \(difference)" }
        guard ready.nonce.count == GenesisReady.nonceByteCount else { return "nonce must be \(GenesisReady.nonceByteCount) bytes" }
        // Any Int64 may arrive here, before the signature is checked: no trapping arithmetic.
        guard ready.timestampMs.isWithin(config.clockSkewToleranceMs, of: nowMs) else {
            let skew = ready.timestampMs.distance(from: nowMs)
            return "timestamp \(ready.timestampMs > nowMs ? "ahead" : "behind") by \(skew) ms; genesis tolerance is \(config.clockSkewToleranceMs) ms"
        }
        guard crypto.verify(signature: ready.signature, message: ready.signBytes, publicKey: info.publicKey) else {
            return "signature does not verify"
        }
        return nil
    }

    public var status: Status {
        let held = attestations.keys.sorted()
        return Status(
            phase: certificate == nil ? .collecting : .complete, round: round, aggregator: aggregator,
            attestationsHeld: certificate?.validators ?? held,
            missing: validatorSet.ids.filter { !(certificate?.validators ?? held).contains($0) },
            quorum: validatorSet.quorum.size, rejections: rejections,
            certificateHash: certificate.map { $0.hash(crypto) })
    }

    /// The current local attestation (tests and `/status`).
    public var currentLocalReady: GenesisReady? { localReady }

    /// The delay before the next rebroadcast.
    public var currentRebroadcastIntervalMs: Int64 { rebroadcastIntervalMs }

    /// Builds a fresh attestation: new timestamp, new nonce, new signature.
    public mutating func refreshLocalReady(nowMs: Int64) -> GenesisReady {
        let ready = GenesisReady.make(
            parameters: parameters, validator: localID, timestampMs: nowMs,
            nonce: random.bytes(GenesisReady.nonceByteCount), signer: signer)
        localReady = ready
        attestations[localID] = ready
        rebroadcastIntervalMs = config.rebroadcastBaseMs
        return ready
    }

    /// Records a rebroadcast of the current message: the interval doubles
    /// (capped) while the message stays the same; a new message resets it.
    mutating func noteRebroadcast() {
        rebroadcastIntervalMs = min(rebroadcastIntervalMs * 2, config.rebroadcastCapMs)
    }

    private mutating func rebroadcast(nowMs: Int64) -> [Action] {
        let current: GenesisReady
        if let existing = localReady, config.refreshIntervalMs == 0 || nowMs - existing.timestampMs < config.refreshIntervalMs {
            current = existing
        } else {
            current = refreshLocalReady(nowMs: nowMs)
        }
        nextRebroadcastMs = nowMs + rebroadcastIntervalMs
        noteRebroadcast()
        broadcastCount += 1
        broadcastBytes += current.encodedByteCount
        return [.broadcast(.ready(current))] + aggregateIfDue(nowMs: nowMs)
    }

    private mutating func receiveReady(_ ready: GenesisReady, from sender: ValidatorID, nowMs: Int64) -> [Action] {
        if let certificate {
            // A peer still collecting: hand it the certificate (rate-limited).
            if let last = lastCertificateReplyMs[sender], nowMs - last < config.certificateReplyIntervalMs { return [] }
            guard validatorSet.contains(sender) else { return [] }
            lastCertificateReplyMs[sender] = nowMs
            return [.send(.certificate(certificate), to: sender)]
        }
        if let problem = check(ready, nowMs: nowMs) {
            rejections[ready.validator] = problem
            return []
        }
        rejections[ready.validator] = nil
        if let held = attestations[ready.validator], held.timestampMs >= ready.timestampMs { return [] }
        attestations[ready.validator] = ready
        return aggregateIfDue(nowMs: nowMs)
    }

    private mutating func aggregateIfDue(nowMs: Int64) -> [Action] {
        guard certificate == nil else { return [] }
        let count = attestations.count
        guard count >= validatorSet.quorum.size else { return [] }
        if quorumSeenSinceMs == nil { quorumSeenSinceMs = nowMs }
        guard aggregator == localID else { return [] }
        if graceStartedMs == nil { graceStartedMs = nowMs }
        guard count == validatorSet.count || nowMs - graceStartedMs! >= config.aggregationGraceMs else { return [] }
        let built = GenesisCertificate.make(
            parameters: parameters, round: round, aggregator: localID,
            attestations: Array(attestations.values), signer: signer)
        return adopt(built)
    }

    private mutating func adopt(_ adopted: GenesisCertificate) -> [Action] {
        certificate = adopted
        return [.persist(adopted), .broadcast(.certificate(adopted)), .activate(adopted)]
    }
}
