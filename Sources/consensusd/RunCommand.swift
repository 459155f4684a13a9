import ArgumentParser
import ConsensusCore
import Foundation
import Logging
import ServiceLifecycle
import Wire

/// `consensusd run` (the default): one validator. Resolves and validates
/// every setting first, opens its data directory (repairing a torn tail),
/// then starts the core's thread, the Wire links and the operator port,
/// and runs until SIGTERM or SIGINT.
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
        DaemonOptions(
            nodeID: nodeID, validatorSet: validatorSet, key: key, tlsCA: tlsCA, tlsCert: tlsCert, tlsKey: tlsKey, trustStore: trustStore,
            peerListen: peerListen, httpListen: httpListen, dataDir: dataDir, trustedIngestor: trustedIngestor, batchSize: batchSize,
            checkpointInterval: checkpointInterval, requestTimeout: requestTimeout, genesisRefresh: genesisRefresh,
            genesisSkew: genesisClockSkewTolerance, clockSkew: clockSkewTolerance, quorum: quorum)
    }

    func run() async throws {
        let exporter: MetricsExporter
        do {
            exporter = try Telemetry.bootstrap(process: "consensusd", logLevelFlag: logLevel)
        } catch {
            FileHandle.standardError.write(Data("consensusd: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let logger = Logger(label: "cybermesh.consensusd")
        let settings: DaemonSettings
        let storage: ValidatorStorage
        let crypto = SodiumConsensusCrypto()
        do {
            settings = try options.resolve()
            storage = try ValidatorStorage(
                directory: settings.dataDirectory, localID: settings.nodeID, crypto: crypto, stateConfig: settings.pbft.state, logger: logger)
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            FileHandle.standardError.write(Data("consensusd: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let parameters = GenesisParameters(
            chainID: settings.chainID, validatorSetHash: settings.validatorSet.hash, configHash: settings.configHash(crypto: crypto))
        let replica = Replica(
            localID: settings.nodeID, validatorSet: settings.validatorSet, parameters: parameters, genesisConfig: settings.genesis,
            config: settings.pbft, crypto: crypto, signer: SodiumMessageSigner(key: settings.signingKey),
            transactionValidator: EventTransactions(trustStore: settings.trustStore), seed: UInt64.random(in: 0...UInt64.max),
            restoring: storage.restored)
        let network = PeerNetwork(settings: settings, logger: logger)
        let driver = ConsensusDriver(replica: replica, storage: storage, network: network, settings: settings, logger: logger)
        let queries = OperatorQueries(driver: driver, validatorSet: settings.validatorSet)
        do {
            // Links first: the core's first step already broadcasts.
            try network.start(driver: driver, queries: queries)
        } catch {
            logger.critical("cannot open the Wire links", metadata: ["error": "\(error)", "address": "\(settings.peerListen.host):\(settings.peerListen.port)"])
            FileHandle.standardError.write(Data("consensusd: cannot listen on \(settings.peerListen.host):\(settings.peerListen.port): \(error)\n".utf8))
            throw ExitCode(1)
        }
        driver.start()
        let http = OperatorHTTP.application(
            queries: queries, metrics: exporter, host: settings.httpListen.host, port: settings.httpListen.port, logger: logger
        ) { port in
            logger.info("operator HTTP listening", metadata: ["url": "http://\(settings.httpListen.host):\(port)"])
        }
        let shutdown = ShutdownHook {
            network.stop()
            driver.stop()
        }
        try await ServiceRunner.run([shutdown, http], logger: logger)
    }
}

/// Runs its closure when the service group shuts down (SIGTERM, SIGINT),
/// on a thread of its own: stopping links and the core joins threads.
struct ShutdownHook: Service {
    let onShutdown: @Sendable () -> Void

    func run() async throws {
        try? await gracefulShutdown()
        await OffThread.run(onShutdown)
    }
}
