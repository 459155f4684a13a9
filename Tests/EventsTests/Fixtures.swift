import Foundation

/// Locates files under Tests/Fixtures from the test sources, so tests run the
/// same from `swift test` and from any working directory.
enum Fixtures {
    static let directory: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: directory.appendingPathComponent(name))
    }
}

/// One entry of Tests/Fixtures/event-vectors.json (see docs/event-vectors.md).
struct EventVector: Decodable, Sendable, CustomStringConvertible {
    let name: String
    let seed_hex: String
    let public_key_hex: String
    let domain: String
    let timestamp_ms: Int64
    let producer_id: String
    let nonce_hex: String
    let payload: String
    let content_hash_hex: String
    let sign_bytes_hex: String?
    let signature_hex: String
    let tx_id_hex: String?
    let event_hex: String
    let valid: Bool
    let reason: String?

    static func all() throws -> [EventVector] {
        try JSONDecoder().decode([EventVector].self, from: Fixtures.data("event-vectors.json"))
    }

    var description: String { name }
}

