import Logging

/// Settings of every link a listener accepts or a dialer opens. Defaults
/// are in the declarations.
public struct LinkOptions: Sendable {
    /// Both ends of a link must agree on it (checked in Hello).
    public var chainID: String
    /// Largest frame accepted (checked before allocation).
    public var maximumFrameBytes: Int = FrameCodec.defaultMaximumFrameBytes
    /// TLS handshake plus Hello must finish within this.
    public var handshakeTimeoutMs: Int = 5_000
    /// A Heartbeat goes out when nothing was sent for this long.
    public var heartbeatIntervalMs: Int = 1_000
    /// A link on which nothing arrives for this long is closed.
    public var idleTimeoutMs: Int = 5_000
    /// Outbound queue bounds per link; beyond them frames are dropped and counted.
    public var outboundQueueFrames: Int = 10_000
    public var outboundQueueBytes: Int = 64 * 1024 * 1024
    /// Dialers: TCP connect timeout and reconnect backoff.
    public var connectTimeoutMs: Int = 2_000
    public var reconnectBaseMs: Int = 100
    public var reconnectCapMs: Int = 5_000
    /// Listeners: connections held at once; more are refused and counted.
    public var maximumConnections: Int = 1_024
    public var logger: Logger

    public init(chainID: String, logger: Logger = Logger(label: "cybermesh.wire")) {
        self.chainID = chainID
        self.logger = logger
    }
}

/// Receives what happens on links. Called on the link's own I/O thread:
/// return quickly (hand work to a queue or an actor); a slow handler only
/// slows that one link, whose peer then sees TCP backpressure.
public protocol LinkHandler: AnyObject, Sendable {
    /// The TLS handshake and Hello exchange succeeded.
    func linkEstablished(_ link: Link)
    /// A message other than Hello or Heartbeat arrived and the policy allows it.
    func link(_ link: Link, received message: WireMessage)
    /// The link closed (after `linkEstablished`, or instead of it).
    func linkClosed(_ link: Link?, peer: PeerIdentity?, reason: LinkCloseReason)
}
