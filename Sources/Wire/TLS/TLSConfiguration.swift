/// The files of one process's TLS identity: the cluster CA it trusts, and its
/// own certificate and key, whose subject names its node id (CN) and role (OU).
public struct TLSConfiguration: Sendable, Equatable {
    public var caCertificatePath: String
    public var certificatePath: String
    public var privateKeyPath: String

    public init(caCertificatePath: String, certificatePath: String, privateKeyPath: String) {
        self.caCertificatePath = caCertificatePath
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }
}

/// Who is on the other end of a link, as its certificate proves.
public struct PeerIdentity: Hashable, Sendable, CustomStringConvertible {
    public let role: Role
    public let nodeID: String

    public init(role: Role, nodeID: String) {
        self.role = role
        self.nodeID = nodeID
    }

    public var description: String { "\(role.rawValue)/\(nodeID)" }
}
