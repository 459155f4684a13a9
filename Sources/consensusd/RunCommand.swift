import ArgumentParser
import ConsensusDaemon

/// `consensusd run` (the default): one validator (`ValidatorDaemon`), its
/// settings from these flags or their environment variables.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Run this validator (settings from flags or environment variables).")

    @Option(name: .long, help: "This validator's id in the validator set. Env: NODE_ID.") var nodeID: String?
    @Option(name: .long, help: "Validator set JSON file. Env: VALIDATOR_SET_FILE.") var validatorSet: String?
    @Option(name: .long, help: "Signing key file (consensusd keygen). Env: VALIDATOR_KEY_FILE.") var key: String?
    @Option(name: .long, help: "Cluster CA certificate. Env: TLS_CA_FILE.") var tlsCA: String?
    @Option(name: .long, help: "This validator's certificate. Env: TLS_CERT_FILE.") var tlsCert: String?
    @Option(name: .long, help: "This validator's TLS key. Env: TLS_KEY_FILE.") var tlsKey: String?
    @Option(name: .long, help: "Producer trust store JSON. Env: TRUST_STORE_FILE.") var trustStore: String?
    @Option(name: .long, help: "Wire listen address (default: this validator's peer_addr). Env: PEER_LISTEN_ADDR.") var peerListen: String?
    @Option(name: .long, help: "Operator HTTP address (default 127.0.0.1:9100). Env: HTTP_LISTEN_ADDR.") var httpListen: String?
    @Option(name: .long, help: "Data directory. Env: DATA_DIR.") var dataDir: String?
    @Option(name: .long, help: "Node id of the ingestor whose events are not verified again. Env: TRUSTED_INGESTOR.") var trustedIngestor: String?
    @Option(name: .long, help: "Transactions per block (default 500). Env: BATCH_SIZE.") var batchSize: String?
    @Option(name: .long, help: "Blocks between checkpoints (default 100). Env: CHECKPOINT_INTERVAL.") var checkpointInterval: String?
    @Option(name: .long, help: "Suspect the leader after holding an event this long (default 5s). Env: REQUEST_TIMEOUT.") var requestTimeout: String?
    @Option(name: .long, help: "Genesis attestation refresh (default 10s). Env: GENESIS_READY_REFRESH_INTERVAL.") var genesisRefresh: String?
    @Option(name: .long, help: "Genesis clock-skew tolerance (default 15m). Env: CONSENSUS_GENESIS_CLOCK_SKEW_TOLERANCE.") var genesisClockSkewTolerance: String?
    @Option(name: .long, help: "Block timestamp tolerance (default 30s). Env: CONSENSUS_CLOCK_SKEW_TOLERANCE.") var clockSkewTolerance: String?
    @Option(name: .long, help: "Quorum override (at least the safe minimum). Env: QUORUM.") var quorum: String?
    @Option(name: .long, help: "Log level. Env: LOG_LEVEL.") var logLevel: String?

    var options: DaemonOptions {
        var options = DaemonOptions()
        options.nodeID = nodeID
        options.validatorSet = validatorSet
        options.key = key
        options.tlsCA = tlsCA
        options.tlsCert = tlsCert
        options.tlsKey = tlsKey
        options.trustStore = trustStore
        options.peerListen = peerListen
        options.httpListen = httpListen
        options.dataDir = dataDir
        options.trustedIngestor = trustedIngestor
        options.batchSize = batchSize
        options.checkpointInterval = checkpointInterval
        options.requestTimeout = requestTimeout
        options.genesisRefresh = genesisRefresh
        options.genesisSkew = genesisClockSkewTolerance
        options.clockSkew = clockSkewTolerance
        options.quorum = quorum
        return options
    }

    func run() async throws {
        do {
            try await ValidatorDaemon.run(options: options, logLevel: logLevel)
        } catch let exit as DaemonExit {
            throw ExitCode(exit.code)
        }
    }
}
