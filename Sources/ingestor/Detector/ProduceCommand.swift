import ConsensusCore
import ArgumentParser
import Events
import Foundation
import Kafka
import Synchronization
import Wire

/// `ingestor produce`: a simulated AI detector. Publishes signed events at
/// a steady rate to the input topics, and on request invalid ones of each
/// kind, so that an operator (or a test) can watch the whole path: valid
/// events committed, invalid ones dead-lettered with their reason.
struct ProduceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "produce", abstract: "Publish signed security events to Kafka as an AI detector would (with invalid ones on request).")

    @Option(name: .long, help: "Kafka bootstrap brokers. Env: KAFKA_BROKERS.") var brokers: String?
    @Option(name: .long, help: "Producer credentials JSON ({\"producers\":[{\"id\",\"secret_key_hex\",\"domains\"?}]}). Env: PRODUCERS_FILE.") var producersFile: String?
    @Option(name: .long, help: "Publish as this producer only (default: every producer in the file, in turn).") var producer: String?
    @Option(name: .long, help: "Events per second.") var rate: Double = 50
    @Option(name: .long, help: "Stop after this many events (default: run until interrupted).") var count: Int?
    @Option(name: .long, parsing: .upToNextOption, help: "Invalid kinds to mix in, in turn: \(InvalidEventKind.allCases.map(\.rawValue).joined(separator: ", ")).") var invalid: [InvalidEventKind] = []
    @Option(name: .long, help: "With --invalid: every Nth event is invalid (1: all of them).") var invalidEvery: Int = 10
    @Option(name: .long, help: "Input topics as the ingestor reads them. Env: KAFKA_INPUT_TOPICS.") var topics: String?
    @Option(name: .long, help: "Append one JSON line per published record (kind, tx_id, topic, partition, offset) to this file.") var recordFile: String?

    func validate() throws {
        guard rate > 0, rate <= 1_000_000 else { throw ValidationError("--rate must be between 0 and 1,000,000 events/s") }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
        guard invalidEvery >= 1 else { throw ValidationError("--invalid-every must be at least 1") }
    }

    func run() throws {
        let settings = Settings()
        let kafka = try KafkaSettings(settings: settings, brokersFlag: brokers)
        let inputs: [String: EventDomain]
        switch IngestTopics.parseInputs(settings.text("KAFKA_INPUT_TOPICS", flag: topics) ?? IngestTopics.defaultInputs.keys.sorted().joined(separator: ",")) {
        case let .success(parsed): inputs = parsed
        case let .failure(error): throw ValidationError("KAFKA_INPUT_TOPICS (or --topics): \(error)")
        }
        let ingestTopics = IngestTopics(inputs: inputs, deadLetter: IngestTopics.defaultDeadLetter)
        var credentials = try EventGenerator.loadProducers(path: try settings.required(
            "PRODUCERS_FILE", flag: producersFile, flagName: "--producers-file", expected: "the producer credentials JSON", parse: { $0 }))
        if let producer {
            credentials = credentials.filter { $0.id == producer }
            guard !credentials.isEmpty else { throw ValidationError("--producer \(producer) is not in the producers file") }
        }
        for kind in invalid {
            if let problem = InvalidEventMaker.problem(kind, producers: credentials) { throw ValidationError("--invalid \(kind.rawValue): \(problem)") }
        }
        for domain in EventDomain.allCases where ingestTopics.topic(for: domain) == nil {
            throw ValidationError("KAFKA_INPUT_TOPICS has no topic for \(domain.rawValue)")
        }
        let producerClient = try KafkaProducer(configuration: kafka.configuration, log: { level, _, message in
            if level <= 4 { FileHandle.standardError.write(Data("kafka: \(message)\n".utf8)) }
        })
        let journal = try recordFile.map { try RecordJournal(path: $0) }
        let figures = Mutex<(published: [String: Int], failed: Int)>(([:], 0))
        var generator = EventGenerator(producers: credentials)
        var lastValid: DetectorRecord?
        let stop = SignalFlag.installInterruptHandler()
        let started = MonotonicClock.nowMs()
        var sent = 0
        var lastReport = started
        while !stop.isSet, sent < (count ?? Int.max) {
            let owed = Int(rate * Double(MonotonicClock.nowMs() - started) / 1000) + 1 - sent
            if owed <= 0 {
                usleep(2_000)
                continue
            }
            for _ in 0..<min(owed, (count ?? Int.max) - sent) {
                sent += 1
                let nowMs = WallClock.nowMs()
                let kind: InvalidEventKind? = invalid.isEmpty || sent % invalidEvery != 0 ? nil : invalid[(sent / invalidEvery - 1) % invalid.count]
                let record: DetectorRecord
                if let kind {
                    record = InvalidEventMaker.make(kind, generator: &generator, nowMs: nowMs, lastValid: lastValid)
                } else {
                    let event = EventGenerator.sign(generator.nextDraft(), timestampMs: nowMs)
                    record = DetectorRecord(
                        value: event.encoded(), topicDomain: EventDomain(rawValue: event.domain)!, key: event.producerID,
                        transactionID: SignBytes.transactionID(of: (try? event.signBytes()) ?? []).hex)
                    lastValid = record
                }
                let topic = ingestTopics.topic(for: record.topicDomain)!
                let label = kind?.rawValue ?? "valid"
                try producerClient.produce(topic: topic, key: Array(record.key.utf8), value: record.value) { result in
                    switch result {
                    case let .success(delivered):
                        figures.withLock { $0.published[label, default: 0] += 1 }
                        journal?.append(kind: label, transactionID: record.transactionID, delivered: delivered)
                    case let .failure(error):
                        figures.withLock { $0.failed += 1 }
                        FileHandle.standardError.write(Data("produce: \(error)\n".utf8))
                    }
                }
            }
            if MonotonicClock.nowMs() - lastReport >= 5_000 {
                lastReport = MonotonicClock.nowMs()
                let (published, failed) = figures.withLock { ($0.published, $0.failed) }
                print("produced: \(published.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) failed=\(failed)")
                fflush(nil)
            }
        }
        _ = producerClient.flush(timeoutMs: 30_000)
        let (published, failed) = figures.withLock { ($0.published, $0.failed) }
        print("produce total: \(published.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) failed=\(failed)")
        fflush(nil)
        if failed > 0 { throw ExitCode(1) }
    }
}

/// The `--record-file`: one JSON line per acknowledged record, appended as
/// delivery reports arrive (any order).
final class RecordJournal: Sendable {
    private let handle: Mutex<FileHandle>

    init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw ValidationError("--record-file \(path) cannot be opened for writing") }
        handle.seekToEndOfFile()
        self.handle = Mutex(handle)
    }

    func append(kind: String, transactionID: String?, delivered: DeliveredRecord) {
        let id = transactionID.map { "\"\($0)\"" } ?? "null"
        let line = #"{"kind":"\#(kind)","tx_id":\#(id),"topic":"\#(delivered.topicPartition.topic)","partition":\#(delivered.topicPartition.partition),"offset":\#(delivered.offset)}"# + "\n"
        handle.withLock { $0.write(Data(line.utf8)) }
    }
}
