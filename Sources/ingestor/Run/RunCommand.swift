import ArgumentParser
import Events
import Foundation
import Kafka
import Logging
import ServiceLifecycle
import Synchronization
import Wire

/// `ingestor run` (the default): Kafka consumer group to committed events,
/// effectively once (ARCHITECTURE §7, CONTRACT §1-2).
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Consume signed events from Kafka, dead-letter invalid ones, submit valid ones to every validator, commit offsets once f+1 validators report them committed.")

    @Option(name: .long, help: "Kafka bootstrap brokers. Env: KAFKA_BROKERS.") var brokers: String?
    @Option(name: .long, help: "Consumer group. Env: KAFKA_CONSUMER_GROUP_ID (default cybermesh-consensus).") var group: String?
    @Option(name: .long, help: "Operator HTTP host:port. Env: HTTP_LISTEN_ADDR (default 127.0.0.1:9200).") var httpListen: String?
    @Option(name: .long, help: "Validator set file. Env: VALIDATOR_SET_FILE.") var validatorSet: String?
    @Option(name: .long, help: "Producer trust store. Env: TRUST_STORE_FILE.") var trustStore: String?
    @Option(name: .long, help: "Log level. Env: LOG_LEVEL.") var logLevel: String?

    func run() async throws {
        let exporter: MetricsExporter
        do {
            exporter = try Telemetry.bootstrap(process: "ingestor", logLevelFlag: logLevel)
        } catch {
            FileHandle.standardError.write(Data("ingestor: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let logger = Logger(label: "cybermesh.ingestor")
        let settings: IngestSettings
        let trust: TrustStoreFile
        let producer: KafkaProducer
        do {
            settings = try IngestSettings(flags: .init(brokers: brokers, group: group, httpListen: httpListen, validatorSet: validatorSet, trustStore: trustStore))
            trust = try TrustStoreFile(path: settings.trustStorePath)
            producer = try KafkaProducer(configuration: settings.kafkaClient, log: { level, facility, message in
                if level <= 4 { logger.warning("librdkafka (DLQ producer)", metadata: ["facility": "\(facility)", "message": "\(message)"]) }
            })
        } catch {
            logger.critical("cannot start", metadata: ["error": "\(error)"])
            FileHandle.standardError.write(Data("ingestor: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let submitter = ValidatorSubmitter(setFile: settings.setFile, logger: logger)
        let intake = Intake(
            options: Intake.Options(
                kafka: settings.kafka, topics: settings.topics, ledger: settings.ledger, verifyWorkers: settings.verifyWorkers,
                validation: settings.validation, drainMs: settings.drainMs),
            submitter: submitter, deadLetters: DeadLetterWriter(topic: settings.topics.deadLetter, producer: producer, logger: logger),
            trustStore: trust, metrics: IntakeMetrics(), logger: logger)
        do {
            try submitter.connect(setFile: settings.setFile, tls: settings.tls, listener: intake)
        } catch {
            logger.critical("cannot set up the validator links", metadata: ["error": "\(error)"])
            FileHandle.standardError.write(Data("ingestor: \(error)\n".utf8))
            throw ExitCode(2)
        }
        let hangup = HangupSignal { intake.requestReload() }
        let listen = settings.httpListen
        let http = IngestorHTTP.application(intake: intake, metrics: exporter, host: listen.host, port: listen.port, logger: logger) { port in
            logger.info("operator HTTP listening", metadata: ["url": "http://\(listen.host):\(port)"])
        }
        try await ServiceRunner.run([IntakeService(intake: intake, submitter: submitter, producer: producer), http], logger: logger)
        withExtendedLifetime(hangup) {}
    }
}

/// Runs the intake's consumer loop on its own thread; a graceful shutdown
/// (SIGTERM, SIGINT) drains, commits and leaves the group, then closes the
/// validator links and flushes the DLQ producer.
struct IntakeService: Service {
    let intake: Intake
    let submitter: ValidatorSubmitter
    let producer: KafkaProducer

    func run() async throws {
        let intake = intake
        let failure = Mutex<(any Error)?>(nil)
        await withGracefulShutdownHandler {
            await OffThread.run {
                do { try intake.run() } catch { failure.withLock { $0 = error } }
            }
        } onGracefulShutdown: {
            intake.requestStop()
        }
        let submitter = submitter
        let producer = producer
        await OffThread.run {
            submitter.stop()
            _ = producer.flush(timeoutMs: 10_000)
        }
        if let error = failure.withLock({ $0 }) { throw error }
    }
}
