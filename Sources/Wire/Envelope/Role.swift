import CyberMeshProto

/// What a process is on a link. A link's role comes from the peer's
/// certificate (subject OU) and must equal the role its Hello claims.
public enum Role: String, CaseIterable, Sendable, Hashable, Codable {
    case validator
    case ingestor
    case persister
    case gateway

    var protobuf: Cybermesh__V1__Wire__Role {
        switch self {
        case .validator: return CYBERMESH__V1__WIRE__ROLE__ROLE_VALIDATOR
        case .ingestor: return CYBERMESH__V1__WIRE__ROLE__ROLE_INGESTOR
        case .persister: return CYBERMESH__V1__WIRE__ROLE__ROLE_PERSISTER
        case .gateway: return CYBERMESH__V1__WIRE__ROLE__ROLE_GATEWAY
        }
    }

    init?(protobuf: Cybermesh__V1__Wire__Role) {
        switch protobuf {
        case CYBERMESH__V1__WIRE__ROLE__ROLE_VALIDATOR: self = .validator
        case CYBERMESH__V1__WIRE__ROLE__ROLE_INGESTOR: self = .ingestor
        case CYBERMESH__V1__WIRE__ROLE__ROLE_PERSISTER: self = .persister
        case CYBERMESH__V1__WIRE__ROLE__ROLE_GATEWAY: self = .gateway
        default: return nil
        }
    }
}
