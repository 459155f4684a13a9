import ConsensusCore
import Events
import Foundation
import Logging
import Metrics
import ServiceLifecycle
import Wire

/// One validator process (`consensusd run`): resolves and validates every
/// setting first, opens its data directory (repairing a torn tail), then
/// starts the core's thread, the Wire links and the operator port, and runs
/// until SIGTERM or SIGINT.
///
/// It is a library so that a test-only executable can run the very same
/// validator with a `Misbehavior` (Tests/ByzantineValidator); the
/// production `consensusd` passes none, and no setting or environment
/// variable can add one.
public enum ValidatorDaemon {
    /// Exit codes: 2 for settings or data that cannot start a validator, 1
    /// when the peer port cannot be bound.
    public static func run(options: DaemonOptions, logLevel: String?, process: String = "consensusd", misbehavior: Misbehavior? = nil) async throws {
        let exporter: MetricsExporter
        do {
            exporter = try Telemetry.bootstrap(process: process, logLevelFlag: logLevel)
        } catch {
            FileHandle.standardError.write(Data("\(process): \(error)\n".utf8))
            throw DaemonExit(code: 2)
        }
        let logger = Logger(label: "cybermesh.\(process)")
        var settings: DaemonSettings
        let storage: ValidatorStorage
        let crypto = SodiumConsensusCrypto()
        do {
            settings = try options.resolve()
            misbehavior?.adjust(&settings)
            storage = try ValidatorStorage(
                directory: settings.dataDirectory, localID: settings.nodeID, crypto: crypto, stateConfig: settings.pbft.state, logger: logger)
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            FileHandle.standardError.write(Data("\(process): \(error)\n".utf8))
            throw DaemonExit(code: 2)
        }
        let parameters = GenesisParameters(
            chainID: settings.chainID, validatorSetHash: settings.validatorSet.hash, configHash: settings.configHash(crypto: crypto))
        let replica = Replica(
            localID: settings.nodeID, validatorSet: settings.validatorSet, parameters: parameters, genesisConfig: settings.genesis,
            config: settings.pbft, crypto: crypto, signer: SodiumMessageSigner(key: settings.signingKey),
            transactionValidator: EventTransactions(trustStoreFile: settings.trustStore), seed: UInt64.random(in: 0...UInt64.max),
            restoring: storage.restored)
        let index: CommittedTransactionIndex
        do {
            index = try CommittedTransactionIndex.open(settings: settings, storage: storage, logger: logger)
        } catch {
            logger.critical("cannot open the committed transaction index", metadata: ["error": "\(error)"])
            FileHandle.standardError.write(Data("\(process): \(error)\n".utf8))
            throw DaemonExit(code: 2)
        }
        let network = PeerNetwork(settings: settings, index: index, logger: logger)
        let sender: any PeerSender = misbehavior.map { FilteredPeerSender(network: network, filter: $0, settings: settings) } ?? network
        let driver = ConsensusDriver(replica: replica, storage: storage, index: index, network: sender, settings: settings, logger: logger)
        let queries = OperatorQueries(driver: driver, validatorSet: settings.validatorSet, trustStore: settings.trustStore)
        do {
            // Links first: the core's first step already broadcasts.
            try network.start(driver: driver, queries: queries)
        } catch {
            logger.critical("cannot open the Wire links", metadata: ["error": "\(error)", "address": "\(settings.peerListen.host):\(settings.peerListen.port)"])
            FileHandle.standardError.write(Data("\(process): cannot listen on \(settings.peerListen.host):\(settings.peerListen.port): \(error)\n".utf8))
            throw DaemonExit(code: 1)
        }
        driver.start()
        let listen = settings.httpListen
        let http = OperatorHTTP.application(
            queries: queries, metrics: exporter, host: listen.host, port: listen.port, logger: logger
        ) { port in
            logger.info("operator HTTP listening", metadata: ["url": "http://\(listen.host):\(port)"])
        }
        let trust = settings.trustStore
        Gauge(label: "cybermesh_trust_store_loaded", dimensions: [("sha256", trust.loaded.sha256)]).record(1)
        let hangup = HangupSignal {
            let previous = trust.loaded.sha256
            switch trust.reload() {
            case let .success((loaded, changed)):
                if changed {
                    Gauge(label: "cybermesh_trust_store_loaded", dimensions: [("sha256", previous)]).record(0)
                    Gauge(label: "cybermesh_trust_store_loaded", dimensions: [("sha256", loaded.sha256)]).record(1)
                }
                logger.notice("trust store reloaded (SIGHUP)", metadata: [
                    "path": "\(trust.path)", "sha256": "\(loaded.sha256)", "producers": "\(loaded.store.producers.count)", "changed": "\(changed)",
                ])
            case let .failure(error):
                logger.error("trust store reload failed; keeping the loaded one", metadata: ["path": "\(trust.path)", "error": "\(error)", "sha256": "\(previous)"])
            }
        }
        let shutdown = ShutdownHook {
            network.stop()
            driver.stop()
        }
        try await ServiceRunner.run([shutdown, http], logger: logger)
        withExtendedLifetime(hangup) {}
    }
}

/// The process must exit with `code` (the caller maps it to its exit).
public struct DaemonExit: Error, Sendable {
    public let code: Int32
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
