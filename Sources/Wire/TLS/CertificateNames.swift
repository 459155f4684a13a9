import COpenSSL

/// Reads the CyberMesh identity out of a certificate subject: CN is the node
/// id, OU the role. The dev PKI writes exactly these; a production PKI must
/// too.
enum CertificateNames {
    static func identity(of certificate: OpaquePointer) throws(TLSError) -> PeerIdentity {
        guard let subject = X509_get_subject_name(certificate) else {
            throw TLSError("the peer certificate has no subject", openSSLErrors: "")
        }
        guard let nodeID = text(subject, nid: NID_commonName), !nodeID.isEmpty else {
            throw TLSError("the peer certificate subject has no CN (node id)", openSSLErrors: "")
        }
        guard let roleName = text(subject, nid: NID_organizationalUnitName) else {
            throw TLSError("the peer certificate subject has no OU (role)", openSSLErrors: "")
        }
        guard let role = Role(rawValue: roleName) else {
            throw TLSError("the peer certificate names unknown role \"\(roleName)\"", openSSLErrors: "")
        }
        return PeerIdentity(role: role, nodeID: nodeID)
    }

    private static func text(_ name: OpaquePointer, nid: Int32) -> String? {
        var buffer = [CChar](repeating: 0, count: 256)
        let length = X509_NAME_get_text_by_NID(name, nid, &buffer, Int32(buffer.count))
        guard length >= 0, Int(length) < buffer.count else { return nil }
        return String(cBuffer: buffer)
    }
}
