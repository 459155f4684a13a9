import ConsensusCore
import Foundation
import Glibc
import Testing
import Wire
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A validator cluster of real `consensusd` processes on 127.0.0.1 for
/// multi-process tests: its own temporary directory with a development
/// PKI, keys, validator set file, trust store and data directories; free
/// ports; every process stopped when the cluster is.
final class TestCluster: @unchecked Sendable {
    // Used from one test at a time (the suite is serialized).
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().path
    static var binaries: String { packageRoot + "/.build/debug" }

    let directory: String
    let size: Int
    let pki: DevPKI
    let peerPorts: [Int: UInt16]
    let httpPorts: [Int: UInt16]
    private(set) var processes: [Int: Process] = [:]
    private var extraEnvironment: [Int: [String: String]] = [:]
    /// Validators that run the test-only `byzantine-validator` with these
    /// arguments instead of `consensusd run`.
    private var byzantine: [Int: [String]] = [:]
    var logsOnFailure: String { (1...size).map { "validator \($0): \(directory)/consensusd-\($0).log" }.joined(separator: "\n") }

    init(size: Int, name: String = #function) throws {
        self.size = size
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("cybermesh-cluster-\(getpid())-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        pki = DevPKI(directory: directory + "/pki")
        var identities = (1...size).map { PeerIdentity(role: .validator, nodeID: "\($0)") }
        identities += [
            PeerIdentity(role: .ingestor, nodeID: "ingestor-extra-1"), PeerIdentity(role: .gateway, nodeID: "gateway-1"),
            PeerIdentity(role: .persister, nodeID: "persister-1"),
        ]
        try pki.generate(identities: identities)
        var peers: [Int: UInt16] = [:]
        var https: [Int: UInt16] = [:]
        for i in 1...size {
            peers[i] = try Self.freePort()
            https[i] = try Self.freePort()
        }
        peerPorts = peers
        httpPorts = https
        var entries: [ValidatorSetFile.Entry] = []
        for i in 1...size {
            let key = Ed25519.SigningKey.generate()
            try (Hex.encode(key.exportSeed()) + "\n").write(toFile: "\(directory)/validator-\(i).key", atomically: true, encoding: .utf8)
            entries.append(ValidatorSetFile.Entry(
                info: ValidatorInfo(id: ValidatorID(UInt32(i)), name: "validator-\(i)", publicKey: key.publicKey.bytes), host: "127.0.0.1", port: peers[i]!))
        }
        try ValidatorSetFile(chainID: "cybermesh-test", entries: entries).json().write(toFile: setFilePath, atomically: true, encoding: .utf8)
        var producers: [String] = []
        var trusted: [String] = []
        for p in 1...4 {
            let key = Ed25519.SigningKey.generate()
            producers.append(#"{"id":"test-producer-\#(p)","secret_key_hex":"\#(Hex.encode(key.exportSeed()))"}"#)
            trusted.append(#"{"id":"test-producer-\#(p)","public_key":"\#(key.publicKey.hex)","domains":["ai.anomaly.v1","ai.evidence.v1","ai.policy.v1"]}"#)
        }
        try #"{"producers":[\#(producers.joined(separator: ","))]}"#.write(toFile: directory + "/producers.json", atomically: true, encoding: .utf8)
        try #"{"producers":[\#(trusted.joined(separator: ","))]}"#.write(toFile: directory + "/trust.json", atomically: true, encoding: .utf8)
    }

    deinit { stopAll() }

    var setFilePath: String { directory + "/validators.json" }

    static func freePort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        guard bound == 0 else { throw ClusterError("bind failed") }
        _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        return UInt16(bigEndian: address.sin_port)
    }

    func environment(_ i: Int) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        env.merge([
            "NODE_ID": "\(i)", "VALIDATOR_SET_FILE": setFilePath, "VALIDATOR_KEY_FILE": "\(directory)/validator-\(i).key",
            "TLS_CA_FILE": pki.caCertificatePath, "TLS_CERT_FILE": "\(pki.directory)/validator-\(i).pem",
            "TLS_KEY_FILE": "\(pki.directory)/validator-\(i).key", "TRUST_STORE_FILE": directory + "/trust.json",
            "DATA_DIR": "\(directory)/data-\(i)", "HTTP_LISTEN_ADDR": "127.0.0.1:\(httpPorts[i]!)", "LOG_LEVEL": "info",
            "REQUEST_TIMEOUT": "2s",
        ]) { _, new in new }
        env.merge(extraEnvironment[i] ?? [:]) { _, new in new }
        return env
    }

    /// Extra settings for validator `i` (applied at its next start).
    func configure(_ i: Int, _ settings: [String: String]) { extraEnvironment[i] = settings }

    /// Validator `i` runs the test-only `byzantine-validator` with
    /// `arguments` (its misbehaviour) from its next start.
    func makeByzantine(_ i: Int, _ arguments: [String]) { byzantine[i] = arguments }

    func start(_ i: Int) throws {
        let process = Process()
        if let arguments = byzantine[i] {
            process.executableURL = URL(fileURLWithPath: Self.binaries + "/byzantine-validator")
            process.arguments = arguments
        } else {
            process.executableURL = URL(fileURLWithPath: Self.binaries + "/consensusd")
            process.arguments = ["run"]
        }
        process.environment = environment(i)
        let log = "\(directory)/consensusd-\(i).log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        processes[i] = process
    }

    func startAll() throws { for i in 1...size { try start(i) } }

    /// Sends `signal` and waits for the process to end.
    func stop(_ i: Int, signal: Int32 = SIGTERM) {
        guard let process = processes.removeValue(forKey: i), process.isRunning else { return }
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
    }

    func stopAll() { for i in processes.keys.sorted() { stop(i) } }

    /// Sends `signal` to validator `i` without waiting (SIGHUP: reload).
    func signal(_ i: Int, _ signal: Int32) {
        if let process = processes[i], process.isRunning { kill(process.processIdentifier, signal) }
    }

    var running: [Int] { processes.filter { $0.value.isRunning }.keys.sorted() }

    // MARK: Operator HTTP

    /// GET on validator `i`'s operator port: (status, body), nil when it does not answer.
    func get(_ i: Int, _ path: String) -> (Int, [String: Any])? {
        guard let (status, data) = getRaw(i, path) else { return nil }
        return (status, (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:])
    }

    func getRaw(_ i: Int, _ path: String) -> (Int, Data)? {
        Self.httpGet("http://127.0.0.1:\(httpPorts[i]!)\(path)")
    }

    /// A GET with a 5-second bound: (status, body), nil when nothing answers.
    static func httpGet(_ address: String) -> (Int, Data)? {
        let url = URL(string: address)!
        let box = ResultBox()
        let task = URLSession.shared.dataTask(with: url) { data, response, _ in
            if let data, let response = response as? HTTPURLResponse { box.value = (response.statusCode, data) }
            box.done.signal()
        }
        task.resume()
        guard box.done.wait(timeout: .now() + 5) == .success else {
            task.cancel()
            return nil
        }
        return box.value
    }

    /// The value of one sample (`name{labels}` exactly as exported) on
    /// validator `i`'s `/metrics`; 0 when absent, -1 when it does not answer.
    func metric(_ i: Int, _ sample: String) -> Double {
        guard let (_, data) = getRaw(i, "/metrics") else { return -1 }
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") where line.hasPrefix(sample + " ") {
            return Double(line.dropFirst(sample.count + 1)) ?? 0
        }
        return 0
    }

    func status(_ i: Int) -> [String: Any]? { get(i, "/status").map(\.1) }

    func height(_ i: Int) -> Int { status(i)?["height"] as? Int ?? -1 }

    /// Polls `condition` every 200 ms until it holds; false after `seconds`
    /// (a bound so that a broken cluster fails the test instead of hanging,
    /// not a timing assertion).
    func waitUntil(seconds: Double, _ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            usleep(200_000)
        }
        return condition()
    }

    // MARK: Load

    /// Runs `ingestor load` for `seconds` at `rate`; returns its final
    /// summary (submitted, committed, pending).
    func load(rate: Int, seconds: Int) throws -> (submitted: Int, committed: Int, pending: Int, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binaries + "/ingestor")
        process.arguments = ["load", "--rate", "\(rate)", "--duration", "\(seconds)", "--settle", "60"]
        var env = ProcessInfo.processInfo.environment
        env.merge([
            "VALIDATOR_SET_FILE": setFilePath, "TLS_CA_FILE": pki.caCertificatePath,
            "TLS_CERT_FILE": "\(pki.directory)/ingestor-ingestor-extra-1.pem", "TLS_KEY_FILE": "\(pki.directory)/ingestor-ingestor-extra-1.key",
            "PRODUCERS_FILE": directory + "/producers.json", "LOG_LEVEL": "warning",
        ]) { _, new in new }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        _ = FileManager.default.createFile(atPath: directory + "/ingestor.err", contents: nil); process.standardError = FileHandle(forWritingAtPath: directory + "/ingestor.err")
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard let line = output.split(separator: "\n").last(where: { $0.hasPrefix("load total:") }) else {
            throw ClusterError("ingestor load printed no summary:\n\(output)")
        }
        func field(_ name: String) -> Int {
            guard let range = line.range(of: " \(name)=") else { return -1 }
            return Int(line[range.upperBound...].prefix { $0.isNumber }) ?? -1
        }
        return (field("submitted"), field("committed"), field("pending"), output)
    }

    /// The hash and state root at every height 1...`to` on validator `i`.
    func chain(_ i: Int, to height: Int) -> [String] {
        (1...max(height, 1)).map { h in
            guard let (status, block) = get(i, "/blocks/\(h)"), status == 200 else { return "missing" }
            return "\(block["hash"] as? String ?? "?")/\(block["state_root"] as? String ?? "?")"
        }
    }
}

/// Every cluster suite nests in this one, so that one cluster runs at a
/// time however the rest of `make test` is scheduled.
@Suite(.serialized) struct ClusterSuites {}

struct ClusterError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

private final class ResultBox: @unchecked Sendable {
    var value: (Int, Data)?
    let done = DispatchSemaphore(value: 0)
}
