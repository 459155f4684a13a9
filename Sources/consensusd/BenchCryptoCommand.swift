import ArgumentParser
import Foundation
import Wire

/// `consensusd bench-crypto`: single-core libsodium Ed25519 sign and verify
/// rates on 200-byte messages, measured in the same run as the figures they
/// bound (`make bench-consensus`). Printed, never asserted.
struct BenchCryptoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-crypto", abstract: "Measure single-core Ed25519 sign and verify rates (libsodium).")

    @Option(help: "Seconds per measurement.") var seconds = 2.0

    func run() {
        let key = Ed25519.SigningKey.generate()
        let message = [UInt8](repeating: 0x5A, count: 200)
        let signature = key.sign(message)
        var signs = 0
        var began = Date()
        while Date().timeIntervalSince(began) < seconds {
            for _ in 0..<100 { _ = key.sign(message) }
            signs += 100
        }
        let signRate = Double(signs) / Date().timeIntervalSince(began)
        var verifies = 0
        began = Date()
        while Date().timeIntervalSince(began) < seconds {
            for _ in 0..<100 where !Ed25519.verify(signature: signature, message: message, publicKey: key.publicKey) {
                fatalError("a valid signature did not verify")
            }
            verifies += 100
        }
        let verifyRate = Double(verifies) / Date().timeIntervalSince(began)
        print(String(format: "ed25519 sign_per_s=%.0f verify_per_s=%.0f message_bytes=200 cores_used=1", signRate, verifyRate))
    }
}
