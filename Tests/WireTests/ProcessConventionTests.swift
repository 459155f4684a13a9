import Foundation
import Logging
import Testing
import Wire

@Suite struct SettingsTests {
    let settings = Settings(environment: ["NODE_ID": "3", "EMPTY": "", "PORT": "70000"])

    @Test func aFlagWinsOverTheEnvironment() throws {
        #expect(try settings.required("NODE_ID", flag: "5", flagName: "--node-id", expected: "1-64", parse: Settings.integer(in: 1...64)) == 5)
        #expect(try settings.required("NODE_ID", flag: nil, flagName: "--node-id", expected: "1-64", parse: Settings.integer(in: 1...64)) == 3)
    }

    @Test func aMissingRequiredSettingIsAnErrorNamingVariableAndFlag() {
        #expect(throws: ConfigurationError.missing(variable: "DB_DSN", flag: "--db-dsn", expected: "a libpq connection string")) {
            try settings.required("DB_DSN", flag: nil, flagName: "--db-dsn", expected: "a libpq connection string", parse: { $0 })
        }
    }

    @Test func anEmptyVariableCountsAsMissing() {
        #expect(throws: ConfigurationError.self) {
            try settings.required("EMPTY", flag: nil, flagName: "--empty", expected: "x", parse: { $0 })
        }
    }

    @Test func anInvalidValueIsAnErrorQuotingItAndSayingWhatIsExpected() {
        let error = ConfigurationError.invalid(variable: "PORT", flag: "--port", value: "70000", expected: "a port 1-65535")
        #expect(throws: error) {
            try settings.optional("PORT", flag: nil, flagName: "--port", expected: "a port 1-65535", default: 80, parse: Settings.integer(in: 1...65535))
        }
        #expect(error.description == "PORT (or --port) is \"70000\": expected a port 1-65535")
    }

    @Test func anAbsentOptionalSettingTakesItsDefault() throws {
        #expect(try settings.optional("NOPE", flag: nil, flagName: "--nope", expected: "x", default: 42, parse: Settings.integer(in: 0...100)) == 42)
    }

    @Test func hostPortParsing() {
        #expect(Settings.hostPort("127.0.0.1:9000")! == ("127.0.0.1", 9000))
        #expect(Settings.hostPort("127.0.0.1") == nil)
        #expect(Settings.hostPort(":9000") == nil)
        #expect(Settings.hostPort("h:99999") == nil)
    }
}

@Suite struct JSONLogHandlerTests {
    @Test func aLogLineIsOneJSONObjectWithMetadataAndEscapes() throws {
        let sink = LogSink.capture()
        var logger = Logger(label: "cybermesh.test", factory: { JSONLogHandler(label: $0, sink: sink) })
        logger[metadataKey: "node"] = "3"
        logger.warning("peer \"2\" said\nbye", metadata: ["reason": "idle_timeout", "count": "\(7)"])
        logger.debug("below the level, dropped")
        let lines = sink.captured
        #expect(lines.count == 1)
        let object = try #require(JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(object["level"] as? String == "warning")
        #expect(object["logger"] as? String == "cybermesh.test")
        #expect(object["msg"] as? String == "peer \"2\" said\nbye")
        #expect(object["node"] as? String == "3")
        #expect(object["reason"] as? String == "idle_timeout")
        #expect((object["ts"] as? String)?.hasSuffix("Z") == true)
    }
}

/// The executables follow the conventions from the outside too.
@Suite struct ExecutableTests {
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let url = directory.appendingPathComponent(executable)
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.environment = environment
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test("every executable reports its version", arguments: ["consensusd", "ingestor", "persister", "gateway"])
    func version(executable: String) throws {
        let result = try Self.run(executable, ["--version"])
        #expect(result.status == 0)
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == CyberMeshVersion.current)
    }

    @Test func keygenWithoutAnOutputFileNamesTheSetting() throws {
        let result = try Self.run("consensusd", ["keygen"])
        #expect(result.status != 0)
        #expect(result.output.contains("VALIDATOR_KEY_FILE (or --out) is required"))
    }

    @Test func keygenWritesAPrivateSeedFileAndPrintsThePublicKey() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("cybermesh-key-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let result = try Self.run("consensusd", ["keygen"], environment: ["VALIDATOR_KEY_FILE": path])
        #expect(result.status == 0)
        let seedHex = try String(contentsOfFile: path, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let key = try Ed25519.SigningKey(seed: try #require(Hex.decode(seedHex)))
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines) == key.publicKey.hex)
        let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let again = try Self.run("consensusd", ["keygen", "--out", path])
        #expect(again.status != 0, "an existing key is never overwritten without --force")
    }

    @Test func devPKIIssuesCertificatesThatLinksAccept() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cybermesh-pki-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let result = try Self.run("consensusd", ["dev-pki", "--out", directory, "--validators", "2"])
        #expect(result.status == 0, "\(result.output)")
        let pki = DevPKI(directory: directory)
        let context = try TLSContext(configuration: pki.configuration(for: PeerIdentity(role: .validator, nodeID: "2")), side: .server)
        #expect(context.localIdentity == PeerIdentity(role: .validator, nodeID: "2"))
        _ = try TLSContext(configuration: pki.configuration(for: PeerIdentity(role: .gateway, nodeID: "gateway-1")), side: .client)
    }

    @Test func aMismatchedKeyAndCertificateIsAClearError() throws {
        var tls = TestPKI.cluster.configuration(for: PeerIdentity(role: .validator, nodeID: "1"))
        tls.privateKeyPath = TestPKI.cluster.configuration(for: PeerIdentity(role: .validator, nodeID: "2")).privateKeyPath
        do {
            _ = try TLSContext(configuration: tls, side: .server)
            Issue.record("accepted a key that does not match its certificate")
        } catch {
            #expect(error.description.contains("validator-2.key for the certificate"))
            #expect(error.description.contains("mismatch"))
        }
    }
}
