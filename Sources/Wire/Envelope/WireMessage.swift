/// One message on the Wire: the Swift side of `Envelope.body`.
///
/// A later issue adds its kinds here (and in proto/cybermesh/v1/wire.proto and
/// `EnvelopeCodec`); link policies name kinds, so a new kind is refused by
/// every role until a policy allows it.
public enum WireMessage: Equatable, Sendable {
    case hello(Hello)
    case heartbeat(Heartbeat)
    case error(WireErrorMessage)
    case echo(Echo)

    public var kind: MessageKind {
        switch self {
        case .hello: return .hello
        case .heartbeat: return .heartbeat
        case .error: return .error
        case .echo: return .echo
        }
    }
}

/// The kinds of Wire message, as link policies and metrics name them.
public enum MessageKind: String, CaseIterable, Sendable, Hashable {
    case hello
    case heartbeat
    case error
    case echo
}
