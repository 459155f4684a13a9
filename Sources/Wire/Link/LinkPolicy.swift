/// Which roles may hold a link with this process, and which message kinds
/// each role may send on it (ARCHITECTURE §4: an ingestor cannot send a PBFT
/// vote; a gateway can only query). Hello, Heartbeat and Error are part of
/// the link protocol and always allowed. A kind added by a later issue is
/// refused until a policy names it.
public struct LinkPolicy: Sendable, Equatable {
    public let allowedKinds: [Role: Set<MessageKind>]

    /// `allowedKinds` maps each role that may connect to what it may send.
    public init(allowedKinds: [Role: Set<MessageKind>]) {
        self.allowedKinds = allowedKinds
    }

    static let linkProtocolKinds: Set<MessageKind> = [.hello, .heartbeat, .error]

    /// Whether a peer of `role` may hold a link at all.
    public func admits(_ role: Role) -> Bool { allowedKinds[role] != nil }

    /// Whether a peer of `role` may send `kind`.
    public func permits(_ kind: MessageKind, from role: Role) -> Bool {
        guard let kinds = allowedKinds[role] else { return false }
        return Self.linkProtocolKinds.contains(kind) || kinds.contains(kind)
    }
}
