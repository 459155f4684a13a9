import ArgumentParser
import Foundation
import Wire

/// `consensusd keygen`: a validator's Ed25519 key pair. Writes the 32-byte
/// seed as 64 hex characters to a file only its owner can read, and prints
/// the public key for the validator set file.
struct KeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen", abstract: "Generate a validator signing key (Ed25519).")

    @Option(name: .long, help: "Where to write the secret seed (hex, mode 0600). Env: VALIDATOR_KEY_FILE.")
    var out: String?

    @Flag(name: .long, help: "Replace an existing key file.")
    var force = false

    func run() throws {
        let settings = Settings()
        let path = try settings.required(
            "VALIDATOR_KEY_FILE", flag: out, flagName: "--out", expected: "a file path for the new key", parse: { $0 })
        if FileManager.default.fileExists(atPath: path), !force {
            throw ValidationError("\(path) exists; refusing to overwrite a validator key (use --force)")
        }
        let key = Ed25519.SigningKey.generate()
        let seedHex = Hex.encode(key.exportSeed()) + "\n"
        guard FileManager.default.createFile(atPath: path, contents: Data(seedHex.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("cannot write \(path)")
        }
        print(key.publicKey.hex)
    }
}
