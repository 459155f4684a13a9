import ConsensusCore
import Events
import Foundation
import Wire

/// Everything `consensusd run` needs, resolved from flags and environment
/// variables and validated before anything starts. Every error names the
/// setting and says what is expected.
public struct DaemonSettings: Sendable {
    public let nodeID: ValidatorID
    let setFile: ValidatorSetFile
    public let validatorSet: ValidatorSet
    public let signingKey: Ed25519.SigningKey
    let tls: TLSConfiguration
    /// The producer trust store, re-read on SIGHUP (CONTRACT §4).
    let trustStore: TrustStoreFile
    /// Committed transaction ids are kept on disk this long (TX_INDEX_RETENTION).
    let transactionIndexRetentionMs: Int64
    let peerListen: (host: String, port: UInt16)
    let httpListen: (host: String, port: UInt16)
    let dataDirectory: String
    /// The ingestor (certificate node id) whose events are not verified again.
    let trustedIngestor: String?
    public let pbft: PBFTConfig
    let genesis: GenesisConfig
    /// Misbehaviour a test-only `Misbehavior` may switch on (never a setting):
    /// how submissions are answered instead of by the core.
    public var submissionTampering = SubmissionTampering.none
    /// The validator's clock: the wall clock, shifted only by a test-only
    /// `Misbehavior` (to test clock skew on one machine).
    public var clock = DaemonClock(offsetMs: 0)

    var chainID: String { setFile.chainID }

    /// The consensus-critical parameters every validator must share; their
    /// hash is part of every genesis attestation, so a validator configured
    /// differently cannot join the ceremony.
    func configHash(crypto: any ConsensusCrypto) -> Hash32 {
        var encoder = CanonicalEncoder(domain: "cybermesh.config.v1")
        encoder.append(UInt32(validatorSet.quorum.size))
        encoder.append(pbft.checkpointInterval)
        encoder.append(UInt64(pbft.maximumBlockTransactions))
        encoder.append(pbft.state.nonceTTLMs)
        // Which height's results a block certifies depends on it.
        encoder.append(pbft.windowSize)
        return crypto.hash(encoder.bytes)
    }
}

/// The flags of `consensusd run`; each has an environment variable, read
/// when its flag is absent.
public struct DaemonOptions: Sendable {
    public var nodeID: String?
    public var validatorSet: String?
    public var key: String?
    public var tlsCA: String?
    public var tlsCert: String?
    public var tlsKey: String?
    public var trustStore: String?
    public var peerListen: String?
    public var httpListen: String?
    public var dataDir: String?
    public var trustedIngestor: String?
    public var batchSize: String?
    public var checkpointInterval: String?
    public var requestTimeout: String?
    public var genesisRefresh: String?
    public var genesisSkew: String?
    public var clockSkew: String?
    public var quorum: String?

    public init() {}

    public func resolve(_ settings: Settings = Settings()) throws -> DaemonSettings {
        let crypto = SodiumConsensusCrypto()
        let id = try settings.required("NODE_ID", flag: nodeID, flagName: "--node-id", expected: "this validator's id in the validator set (an integer from 1)", parse: { UInt32($0).flatMap { $0 > 0 ? ValidatorID($0) : nil } })
        let setPath = try settings.required("VALIDATOR_SET_FILE", flag: validatorSet, flagName: "--validator-set", expected: "the path of the validator set JSON file", parse: { $0 })
        let setFile = try ValidatorSetFile.load(path: setPath)
        guard let own = setFile.entry(id) else {
            throw ConfigurationError.inconsistent("NODE_ID \(id) is not in the validator set file \(setPath) (ids: \(setFile.entries.map { "\($0.id)" }.joined(separator: ", ")))")
        }
        let quorumOverride: Int? = try settings.optional("QUORUM", flag: quorum, flagName: "--quorum", expected: "a quorum size of at least the safe minimum", default: nil, parse: { Int($0).map { Optional($0) } })
        let set = try setFile.validatorSet(quorumOverride: quorumOverride, crypto: crypto)
        let keyPath = try settings.required("VALIDATOR_KEY_FILE", flag: key, flagName: "--key", expected: "the path of this validator's key file (from `consensusd keygen`)", parse: { $0 })
        guard let keyText = FileManager.default.contents(atPath: keyPath).flatMap({ String(data: $0, encoding: .utf8) }),
              let seed = Hex.decode(keyText.trimmingCharacters(in: .whitespacesAndNewlines)), let signingKey = try? Ed25519.SigningKey(seed: seed) else {
            throw ConfigurationError.invalid(variable: "VALIDATOR_KEY_FILE", flag: "--key", value: keyPath, expected: "a readable file holding a 64-hex-character Ed25519 seed")
        }
        guard signingKey.publicKey.bytes == own.info.publicKey else {
            throw ConfigurationError.inconsistent("the key in \(keyPath) does not match validator \(id)'s public_key in \(setPath)")
        }
        let tls = TLSConfiguration(
            caCertificatePath: try settings.required("TLS_CA_FILE", flag: tlsCA, flagName: "--tls-ca", expected: "the cluster CA certificate (PEM)", parse: { $0 }),
            certificatePath: try settings.required("TLS_CERT_FILE", flag: tlsCert, flagName: "--tls-cert", expected: "this validator's certificate (PEM, CN = node id, OU = validator)", parse: { $0 }),
            privateKeyPath: try settings.required("TLS_KEY_FILE", flag: tlsKey, flagName: "--tls-key", expected: "this validator's TLS private key (PEM)", parse: { $0 }))
        let trustPath = try settings.required("TRUST_STORE_FILE", flag: trustStore, flagName: "--trust-store", expected: "the producer trust store JSON file", parse: { $0 })
        let trust = try TrustStoreFile(path: trustPath)
        let retention = try settings.optional("TX_INDEX_RETENTION", flag: nil, flagName: "(no flag)", expected: "a duration of at least 1h, such as 7d or 168h", default: Int64(7 * 24 * 3_600_000), parse: { text in
            let days = text.lowercased().hasSuffix("d") ? Int64(text.dropLast()).map { $0 * 24 * 3_600_000 } : Settings.durationMs(text)
            return days.flatMap { $0 >= 3_600_000 ? $0 : nil }
        })
        let peer = try settings.optional("PEER_LISTEN_ADDR", flag: peerListen, flagName: "--peer-listen", expected: "host:port", default: (own.host, own.port), parse: { Settings.hostPort($0) })
        let http = try settings.optional("HTTP_LISTEN_ADDR", flag: httpListen, flagName: "--http-listen", expected: "host:port (port 0 picks one)", default: ("127.0.0.1", UInt16(9100)), parse: { Settings.hostPort($0) })
        let data = try settings.required("DATA_DIR", flag: dataDir, flagName: "--data-dir", expected: "a directory for the write-ahead log, block store and snapshots", parse: { $0 })
        let trusted: String? = try settings.optional("TRUSTED_INGESTOR", flag: trustedIngestor, flagName: "--trusted-ingestor", expected: "the node id of this pod's ingestor (its certificate CN)", default: nil, parse: { Optional($0) })

        var pbft = PBFTConfig()
        pbft.maximumBlockTransactions = try settings.optional("BATCH_SIZE", flag: batchSize, flagName: "--batch-size", expected: "transactions per block, 1-10000", default: pbft.maximumBlockTransactions, parse: Settings.integer(in: 1...10_000))
        pbft.checkpointInterval = UInt64(try settings.optional("CHECKPOINT_INTERVAL", flag: checkpointInterval, flagName: "--checkpoint-interval", expected: "blocks between checkpoints, 1-100000", default: Int(pbft.checkpointInterval), parse: Settings.integer(in: 1...100_000)))
        pbft.requestTimeoutMs = try settings.optional("REQUEST_TIMEOUT", flag: requestTimeout, flagName: "--request-timeout", expected: "a duration such as 5s", default: pbft.requestTimeoutMs, parse: Settings.durationMs)
        pbft.blockTimestampToleranceMs = try settings.optional("CONSENSUS_CLOCK_SKEW_TOLERANCE", flag: clockSkew, flagName: "--clock-skew-tolerance", expected: "a duration such as 30s", default: pbft.blockTimestampToleranceMs, parse: Settings.durationMs)
        var genesis = GenesisConfig()
        genesis.refreshIntervalMs = try settings.optional("GENESIS_READY_REFRESH_INTERVAL", flag: genesisRefresh, flagName: "--genesis-refresh", expected: "a duration such as 10s", default: genesis.refreshIntervalMs, parse: Settings.durationMs)
        genesis.clockSkewToleranceMs = try settings.optional("CONSENSUS_GENESIS_CLOCK_SKEW_TOLERANCE", flag: genesisSkew, flagName: "--genesis-clock-skew-tolerance", expected: "a duration such as 15m", default: genesis.clockSkewToleranceMs, parse: Settings.durationMs)
        do {
            try pbft.validate()
            try genesis.validate()
        } catch {
            throw ConfigurationError.inconsistent("\(error)")
        }
        return DaemonSettings(
            nodeID: id, setFile: setFile, validatorSet: set, signingKey: signingKey, tls: tls, trustStore: trust, transactionIndexRetentionMs: retention,
            peerListen: peer, httpListen: http, dataDirectory: data, trustedIngestor: trusted, pbft: pbft, genesis: genesis)
    }
}

/// Milliseconds on this validator's clock (the core's only time source).
/// How a test-only validator answers submissions (`DaemonSettings`); only a
/// `Misbehavior` in a test executable sets anything but `.none`.
public enum SubmissionTampering: Sendable, Equatable {
    case none
    /// Answer every submission "admitted" and drop it; with `falseNotices`,
    /// also send every commit subscriber a forged notice that the dropped
    /// events were committed.
    case drop(falseNotices: Bool)
    /// Answer "full" to every submission until this validator-clock time.
    case answerFull(untilMs: Int64)
}

public struct DaemonClock: Sendable {
    public let offsetMs: Int64

    public init(offsetMs: Int64) { self.offsetMs = offsetMs }

    func nowMs() -> Int64 { WallClock.nowMs() + offsetMs }
}
