import ConsensusCore

/// Transactions in simulation are real events (CONTRACT §1 domains,
/// producers, nonces, JSON payloads) in a compact encoding with a simulated
/// producer signature, so every seed exercises the mempool and the state
/// machine exactly as the daemon does, at simulator speed.
///
/// Encoding: "sim.event.v1" domain prefix, then domain, producer, nonce,
/// timestamp, payload (canonical, length-prefixed), then the 64-byte
/// signature. The transaction id is the hash of everything before the
/// signature; only events whose signature matches the producer's key are
/// valid, so a Byzantine replica cannot make one up.
public struct SimulatedTransactions: TransactionValidator {
    public init() {}

    static let signatureLength = 64

    public func event(of transaction: Transaction) -> LedgerEvent? {
        Self.decode(transaction.payload)?.event
    }

    public func validationProblem(_ transaction: Transaction) -> String? {
        guard let (event, signed, signature) = Self.decode(transaction.payload) else { return "malformed: not a simulated event" }
        guard SimulatedCrypto().hash(signed) == transaction.id else { return "malformed: the id is not the hash of the event" }
        let key = SimulatedSigner.producerKey(event.producerID)
        guard SimulatedCrypto().verify(signature: signature, message: signed, publicKey: key) else { return "bad_signature: producer \(event.producerID)" }
        do {
            _ = try PayloadSchema.validate(event.payload, domain: event.domain)
        } catch {
            return "bad_payload: \(error)"
        }
        return nil
    }

    public func identifies(_ transaction: Transaction) -> Bool {
        guard let (_, signed, _) = Self.decode(transaction.payload) else { return false }
        return SimulatedCrypto().hash(signed) == transaction.id
    }

    /// Signs and encodes an event as its producer would.
    public static func make(_ event: LedgerEvent) -> Transaction {
        let signed = signedBytes(event)
        let signature = SimulatedSigner(producer: event.producerID).sign(signed)
        return Transaction(id: SimulatedCrypto().hash(signed), payload: signed + signature)
    }

    /// What a producer signs (and whose hash is the transaction id).
    static func signedBytes(_ event: LedgerEvent) -> [UInt8] {
        var encoder = CanonicalEncoder(domain: "sim.event.v1")
        encoder.append(event.domain.rawValue)
        encoder.append(event.producerID)
        encoder.appendFixed(event.nonce)
        encoder.append(event.timestampMs)
        encoder.append(event.payload)
        return encoder.bytes
    }

    /// A transaction that keeps `original`'s id and signature but carries
    /// another event (its nonce changed): what a Byzantine leader who cannot
    /// sign for the producer can make of a known transaction. It decodes and
    /// would apply; only a check of the bytes against the id or the
    /// signature tells it apart.
    public static func swappedPayload(of original: Transaction) -> Transaction? {
        guard let (event, _, signature) = decode(original.payload) else { return nil }
        var nonce = event.nonce
        nonce[0] ^= 0xFF
        let other = LedgerEvent(domain: event.domain, producerID: event.producerID, nonce: nonce, timestampMs: event.timestampMs, payload: event.payload)
        return Transaction(id: original.id, payload: signedBytes(other) + signature)
    }

    static func decode(_ bytes: [UInt8]) -> (event: LedgerEvent, signed: [UInt8], signature: [UInt8])? {
        guard bytes.count > signatureLength else { return nil }
        let signed = Array(bytes.dropLast(signatureLength))
        var decoder = CanonicalDecoder(signed)
        do throws(CanonicalDecoder.Truncated) {
            guard try decoder.string() == "sim.event.v1", let domain = EventDomain(rawValue: try decoder.string()) else { return nil }
            let producer = try decoder.string()
            let nonce = try decoder.fixed(16)
            let timestamp = try decoder.int64()
            let payload = try decoder.lengthPrefixed()
            guard decoder.isAtEnd else { return nil }
            let event = LedgerEvent(domain: domain, producerID: producer, nonce: nonce, timestampMs: timestamp, payload: payload)
            return (event, signed, Array(bytes.suffix(signatureLength)))
        } catch {
            return nil
        }
    }
}

/// The event stream simulated detectors publish: event `number` of a seed
/// is always the same. A mix of domains and producers, with deliberate
/// conflicts the state machine must reject identically everywhere: an
/// anomaly id reused, policy versions that do not rise.
public struct SimulatedWorkload: Sendable {
    public let seed: UInt64
    public var producers = 5
    /// Policy ids cycle through this many (bounded state under long runs).
    public var policyIDs = 8
    /// Anomaly/evidence share of events, in percent; the rest are policies.
    public var anomalyPercent = 50
    public var evidencePercent = 30
    /// Evidence payloads padded to about this many bytes (the largest
    /// events CONTRACT §1 allows are 64 KiB); 0: no padding.
    public var evidencePaddingBytes = 0

    public init(seed: UInt64) { self.seed = seed }

    public func event(number: Int, timestampMs: Int64) -> Transaction {
        var random = SeededGenerator(seed: seed &* 0x9E37_79B9 &+ UInt64(number))
        let producer = "detector-\(number % producers)"
        let nonce = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
        let roll = Int(random.next() % 100)
        let domain: EventDomain
        let json: String
        if roll < anomalyPercent {
            domain = .anomaly
            // Every 13th anomaly reuses the previous event's id: anomaly_exists.
            let id = number % 13 == 0 ? number - 1 : number
            json = #"{"id":"a-\#(id)","type":"port-scan","severity":\#(1 + number % 10),"confidence":0.75,"target":"10.0.0.\#(number % 250)"}"#
        } else if roll < anomalyPercent + evidencePercent {
            domain = .evidence
            let pad = evidencePaddingBytes > 0 ? #","pad":"\#(String(repeating: "x", count: evidencePaddingBytes))""# : ""
            json = #"{"id":"e-\#(number)","anomaly_id":"a-\#(max(1, number - 1))","kind":"pcap","data":{"bytes":\#(number % 4096)\#(pad)}}"#
        } else {
            domain = .policy
            // Versions drawn at random: some do not rise and are rejected.
            json = #"{"id":"policy-\#(number % policyIDs)","action":"block","version":\#(1 + Int(random.next() % UInt64(max(2, number))))}"#
        }
        return SimulatedTransactions.make(LedgerEvent(
            domain: domain, producerID: producer, nonce: nonce, timestampMs: timestampMs, payload: Array(json.utf8)))
    }
}

/// A state machine with a fault: events signed before `faultyBeforeMs`
/// whose id starts with a byte divisible by 8 read as an empty payload, so
/// this replica rejects what the others apply and its state root and
/// outcomes diverge. Everything else is `SimulatedTransactions`.
struct DivergentTransactions: TransactionValidator {
    let faultyBeforeMs: Int64
    private let base = SimulatedTransactions()

    func event(of transaction: Transaction) -> LedgerEvent? {
        guard let event = base.event(of: transaction) else { return nil }
        guard event.timestampMs < faultyBeforeMs, transaction.id.bytes[0] % 8 == 0 else { return event }
        return LedgerEvent(domain: event.domain, producerID: event.producerID, nonce: event.nonce, timestampMs: event.timestampMs, payload: Array("{}".utf8))
    }

    func validationProblem(_ transaction: Transaction) -> String? { base.validationProblem(transaction) }
    func identifies(_ transaction: Transaction) -> Bool { base.identifies(transaction) }
}
