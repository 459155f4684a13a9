import Synchronization

/// Remembers the signatures it has verified, so that the same certificate
/// is not verified again in every ViewChange and NewView that carries it
/// (issue 11, point 4): a NewView repeats 2f+1 view changes, each with a
/// commit certificate and prepared claims of 2f+1 votes, all of which the
/// replica already checked when they arrived on their own, and a Byzantine
/// peer may resend them as fast as the network takes.
///
/// Only successful checks are kept, keyed by a hash of (public key,
/// signature, message): a signature that verified once verifies forever, so
/// a hit gives exactly the answer a new check would (the core stays
/// deterministic); a forged one is checked, and refused, every time. The
/// cache holds at most `capacity` entries and forgets the oldest first.
public final class VerifiedSignatureCache: ConsensusCrypto {
    private struct Entries {
        var known = Set<Hash32>()
        var order: [Hash32] = []
        var next = 0
    }

    public let base: any ConsensusCrypto
    public let capacity: Int
    private let entries = Mutex(Entries())

    public init(base: any ConsensusCrypto, capacity: Int = 16_384) {
        precondition(capacity > 0, "a cache needs room")
        self.base = base
        self.capacity = capacity
    }

    public func hash(_ bytes: [UInt8]) -> Hash32 { base.hash(bytes) }

    public func verify(signature: [UInt8], message: [UInt8], publicKey: [UInt8]) -> Bool {
        var keyed = CanonicalEncoder(domain: "cybermesh.verified-signature.v1")
        keyed.append(publicKey)
        keyed.append(signature)
        keyed.append(message)
        let key = base.hash(keyed.bytes)
        if entries.withLock({ $0.known.contains(key) }) { return true }
        guard base.verify(signature: signature, message: message, publicKey: publicKey) else { return false }
        entries.withLock { entries in
            guard entries.known.insert(key).inserted else { return }
            if entries.order.count < capacity {
                entries.order.append(key)
            } else {
                entries.known.remove(entries.order[entries.next])
                entries.order[entries.next] = key
                entries.next = (entries.next + 1) % capacity
            }
        }
        return true
    }

    /// How many verified signatures it holds (at most `capacity`).
    public var count: Int { entries.withLock { $0.known.count } }
}
