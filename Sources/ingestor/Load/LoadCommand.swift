import ArgumentParser
import ConsensusCore
import Foundation
import Logging
import Wire

/// `ingestor load`: a synthetic event source. Connects to every validator
/// as an ingestor, submits freshly signed events at a steady rate, counts
/// f+1 commit notices per event and prints, every second and at the end,
/// committed events/s and submit-to-commit latency.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load", abstract: "Submit generated signed events to every validator and measure commits.")

    @Option(name: .long, help: "Events per second offered.") var rate: Double = 200
    @Option(name: .long, help: "Producers to sign with (the first P of --producers-file).") var producers: Int?
    @Option(name: .long, help: "Stop after this many seconds (default: run until interrupted).") var duration: Double?
    @Option(name: .long, help: "Producer credentials JSON ({\"producers\":[{\"id\",\"secret_key_hex\"}]}). Env: PRODUCERS_FILE.") var producersFile: String?
    @Option(name: .long, help: "Validator set file. Env: VALIDATOR_SET_FILE.") var validatorSet: String?
    @Option(name: .long, help: "Cluster CA. Env: TLS_CA_FILE.") var tlsCA: String?
    @Option(name: .long, help: "This ingestor's certificate. Env: TLS_CERT_FILE.") var tlsCert: String?
    @Option(name: .long, help: "This ingestor's TLS key. Env: TLS_KEY_FILE.") var tlsKey: String?
    @Flag(name: .long, help: "Print one JSON summary line at the end.") var json = false
    @Option(name: .long, help: "At the end, wait up to this many seconds for submitted events to commit.") var settle: Double = 10
    @Option(name: .long, help: "Log level. Env: LOG_LEVEL.") var logLevel: String?

    func validate() throws {
        guard rate > 0, rate <= 1_000_000 else { throw ValidationError("--rate must be between 0 and 1,000,000 events/s") }
        if let producers, producers < 1 { throw ValidationError("--producers must be at least 1") }
    }

    func run() async throws {
        _ = try Telemetry.bootstrap(process: "ingestor", logLevelFlag: logLevel)
        let logger = Logger(label: "cybermesh.ingestor.load")
        let settings = Settings()
        let setFile = try ValidatorSetFile.load(path: try settings.required(
            "VALIDATOR_SET_FILE", flag: validatorSet, flagName: "--validator-set", expected: "the validator set JSON file", parse: { $0 }))
        let tls = TLSConfiguration(
            caCertificatePath: try settings.required("TLS_CA_FILE", flag: tlsCA, flagName: "--tls-ca", expected: "the cluster CA (PEM)", parse: { $0 }),
            certificatePath: try settings.required("TLS_CERT_FILE", flag: tlsCert, flagName: "--tls-cert", expected: "an ingestor certificate (PEM, OU = ingestor)", parse: { $0 }),
            privateKeyPath: try settings.required("TLS_KEY_FILE", flag: tlsKey, flagName: "--tls-key", expected: "its private key (PEM)", parse: { $0 }))
        var credentials = try EventGenerator.loadProducers(path: try settings.required(
            "PRODUCERS_FILE", flag: producersFile, flagName: "--producers-file", expected: "the producer credentials JSON", parse: { $0 }))
        if let producers { credentials = Array(credentials.prefix(producers)) }
        let faults = (setFile.entries.count - 1) / 3
        let tracker = CommitTracker(needed: faults + 1)
        let clients = ValidatorClients(tracker: tracker, logger: logger)
        try clients.connect(to: setFile, tls: tls)
        let rate = rate
        let duration = duration
        let json = json
        let settle = settle
        let signers = credentials
        logger.info("load starting", metadata: [
            "rate": "\(rate)", "producers": "\(credentials.count)", "validators": "\(setFile.entries.count)", "notices_needed": "\(faults + 1)",
        ])
        // The generator signs on its own thread, never on the cooperative pool.
        await OffThread.run {
            var loop = LoadLoop(rate: rate, duration: duration, generator: EventGenerator(producers: signers), clients: clients, tracker: tracker, json: json, settleSeconds: settle)
            loop.run()
        }
        clients.stop()
    }
}

/// The submit loop: every 10 ms, the events owed at the offered rate, in
/// one batch to every validator; every second a figures line.
struct LoadLoop {
    let rate: Double
    let duration: Double?
    var generator: EventGenerator
    let clients: ValidatorClients
    let tracker: CommitTracker
    let json: Bool
    let settleSeconds: Double

    mutating func run() {
        let started = MonotonicClock.nowMs()
        var owed = 0.0
        var last = started
        var lastReport = started
        var batchID: UInt64 = 0
        let stop = SignalFlag.installInterruptHandler()
        while !stop.isSet {
            let now = MonotonicClock.nowMs()
            if let duration, Double(now - started) >= duration * 1000 { break }
            owed += rate * Double(now - last) / 1000
            last = now
            let count = Int(owed)
            if count > 0, clients.connectedCount > 0 {
                owed -= Double(count)
                batchID += 1
                var records: [[UInt8]] = []
                var ids: [Hash32] = []
                let wall = WallClock.nowMs()
                for _ in 0..<count {
                    let (record, id) = generator.next(nowMs: wall)
                    records.append(record)
                    ids.append(id)
                }
                tracker.submitted(ids, atMs: wall)
                clients.submit(SubmitEvents(batchID: batchID, events: records))
            } else if clients.connectedCount == 0 {
                owed = 0
            }
            if now - lastReport >= 1000 {
                report(seconds: Double(now - lastReport) / 1000, elapsed: Double(now - started) / 1000)
                lastReport = now
                _ = tracker.expire(olderThanMs: WallClock.nowMs() - 120_000)
            }
            usleep(10_000)
        }
        // Let the last events settle before the final figures.
        let settleUntil = MonotonicClock.nowMs() + Int64(settleSeconds * 1000)
        while tracker.pendingCount > 0, MonotonicClock.nowMs() < settleUntil { usleep(50_000) }
        let (_, total) = tracker.takePeriod()
        let elapsed = Double(MonotonicClock.nowMs() - started) / 1000
        let line = String(
            format: "load total: submitted=%d committed=%d committed_per_s=%.0f p50_ms=%lld p99_ms=%lld refused=%@ pending=%d",
            total.submitted, total.committed, Double(total.committed) / max(elapsed, 0.001), total.latenciesMs.percentile(0.5),
            total.latenciesMs.percentile(0.99), total.refused.description, tracker.pendingCount)
        print(line)
        if json {
            print(#"{"offered_events_per_s": \#(rate), "submitted": \#(total.submitted), "committed": \#(total.committed), "committed_events_per_s": \#(Int(Double(total.committed) / max(elapsed, 0.001))), "p50_ms": \#(total.latenciesMs.percentile(0.5)), "p99_ms": \#(total.latenciesMs.percentile(0.99))}"#)
        }
        fflush(nil)
    }

    private func report(seconds: Double, elapsed: Double) {
        let (period, _) = tracker.takePeriod()
        let refused = period.refused.isEmpty ? "" : " refused=\(period.refused.map { "\($0.key):\($0.value)" }.sorted().joined(separator: ","))"
        print(String(
            format: "t=%.0fs offered=%.0f/s committed=%.0f/s p50=%lldms p99=%lldms pending=%d validators_connected=%d%@",
            elapsed, Double(period.submitted) / seconds, Double(period.committed) / seconds, period.latenciesMs.percentile(0.5),
            period.latenciesMs.percentile(0.99), tracker.pendingCount, clients.connectedCount, refused))
        fflush(nil)
    }
}
