import ConsensusCore
import Foundation

/// The validator set file every process of a cluster reads
/// (`VALIDATOR_SET_FILE`): the chain id and, per validator, its id, name,
/// Ed25519 public key and the address where its consensusd accepts Wire
/// links. Validators take the set for genesis from it; ingestors,
/// persisters and gateways find the validators through it.
///
/// ```json
/// {"chain_id": "cybermesh-dev",
///  "validators": [{"id": 1, "name": "validator-1",
///                  "public_key": "<64 hex>", "peer_addr": "127.0.0.1:7101"}]}
/// ```
public struct ValidatorSetFile: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public let info: ValidatorInfo
        public let host: String
        public let port: UInt16

        public init(info: ValidatorInfo, host: String, port: UInt16) {
            self.info = info
            self.host = host
            self.port = port
        }

        public var id: ValidatorID { info.id }
        public var peerAddress: String { "\(host):\(port)" }
    }

    public let chainID: String
    /// In id order.
    public let entries: [Entry]

    public init(chainID: String, entries: [Entry]) {
        self.chainID = chainID
        self.entries = entries.sorted { $0.id < $1.id }
    }

    public func entry(_ id: ValidatorID) -> Entry? { entries.first { $0.id == id } }

    /// The set the consensus core uses (ids, names, keys, quorum).
    public func validatorSet(quorumOverride: Int?, crypto: any ConsensusCrypto) throws(ValidatorSetFileError) -> ValidatorSet {
        do {
            return try ValidatorSet(validators: entries.map(\.info), quorumOverride: quorumOverride, crypto: crypto)
        } catch {
            throw .invalidSet(error.description)
        }
    }

    /// Parses the file's JSON; every problem names the entry and the field.
    public static func parse(_ data: [UInt8]) throws(ValidatorSetFileError) -> ValidatorSetFile {
        let json: JSONValue
        do { json = try JSONParser.parse(data) } catch { throw .invalidJSON(error.description) }
        guard case let .string(chainID)? = json["chain_id"], !chainID.isEmpty, chainID.utf8.count <= 64 else {
            throw .invalidField(entry: nil, field: "chain_id", expected: "a string of 1-64 characters")
        }
        guard case let .array(items)? = json["validators"], !items.isEmpty else {
            throw .invalidField(entry: nil, field: "validators", expected: "a non-empty array of validator objects")
        }
        var entries: [Entry] = []
        var seen = Set<ValidatorID>()
        var addresses = Set<String>()
        for (index, item) in items.enumerated() {
            guard case let .number(number)? = item["id"], let raw = number.int64Value, (1...Int64(UInt32.max)).contains(raw) else {
                throw .invalidField(entry: index, field: "id", expected: "an integer from 1")
            }
            let id = ValidatorID(UInt32(raw))
            guard seen.insert(id).inserted else { throw .duplicateID(id) }
            guard case let .string(name)? = item["name"], !name.isEmpty else {
                throw .invalidField(entry: index, field: "name", expected: "a non-empty string")
            }
            guard case let .string(keyHex)? = item["public_key"], let key = Hex.decode(keyHex), key.count == 32 else {
                throw .invalidField(entry: index, field: "public_key", expected: "64 hex characters (an Ed25519 public key, from `consensusd keygen`)")
            }
            guard case let .string(address)? = item["peer_addr"], let (host, port) = Settings.hostPort(address), port > 0 else {
                throw .invalidField(entry: index, field: "peer_addr", expected: "host:port where this validator accepts Wire links")
            }
            guard addresses.insert(address).inserted else {
                throw .invalidField(entry: index, field: "peer_addr", expected: "an address no other validator uses (\(address) is taken)")
            }
            entries.append(Entry(info: ValidatorInfo(id: id, name: name, publicKey: key), host: host, port: port))
        }
        return ValidatorSetFile(chainID: chainID, entries: entries)
    }

    public static func load(path: String) throws(ValidatorSetFileError) -> ValidatorSetFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        return try parse(Array(data))
    }

    /// The JSON form (what `make run` writes).
    public func json() -> String {
        let items = entries.map { entry in
            "{\"id\": \(entry.id.value), \"name\": \"\(entry.info.name)\", \"public_key\": \"\(Hex.encode(entry.info.publicKey))\", \"peer_addr\": \"\(entry.peerAddress)\"}"
        }
        return "{\"chain_id\": \"\(chainID)\",\n \"validators\": [\n  \(items.joined(separator: ",\n  "))\n ]}\n"
    }
}

/// Why a validator set file cannot be used.
public enum ValidatorSetFileError: Error, Equatable, Sendable, CustomStringConvertible {
    case unreadable(path: String)
    case invalidJSON(String)
    case invalidField(entry: Int?, field: String, expected: String)
    case duplicateID(ValidatorID)
    case invalidSet(String)

    public var description: String {
        switch self {
        case let .unreadable(path): return "validator set file \(path) cannot be read (VALIDATOR_SET_FILE)"
        case let .invalidJSON(detail): return "validator set file is not valid JSON: \(detail)"
        case let .invalidField(entry, field, expected):
            let place = entry.map { "validators[\($0)]." } ?? ""
            return "validator set file: \(place)\(field) must be \(expected)"
        case let .duplicateID(id): return "validator set file: validator id \(id) appears twice; ids must be unique"
        case let .invalidSet(detail): return "validator set file: \(detail)"
        }
    }
}
