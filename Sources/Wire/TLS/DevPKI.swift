import COpenSSL
import Foundation

/// A development PKI: one cluster CA and a certificate per (role, node id),
/// Ed25519 keys, written as PEM files. Tests and `make run` use it; a
/// production cluster brings its own CA with the same subject convention
/// (CN = node id, OU = role).
///
/// Layout under `directory`: `ca.pem`, `ca.key` and, per identity,
/// `<role>-<node id>.pem` and `<role>-<node id>.key` (mode 0600).
public struct DevPKI: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public var caCertificatePath: String { directory + "/ca.pem" }

    /// The TLS files of one identity in this PKI.
    public func configuration(for identity: PeerIdentity) -> TLSConfiguration {
        let base = "\(directory)/\(identity.role.rawValue)-\(identity.nodeID)"
        return TLSConfiguration(caCertificatePath: caCertificatePath, certificatePath: base + ".pem", privateKeyPath: base + ".key")
    }

    /// Creates the CA (unless `ca.pem` exists) and a certificate for every
    /// identity that has none yet, so it can be re-run to add nodes.
    public func generate(identities: [PeerIdentity], validityDays: Int = 825) throws(TLSError) {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw TLSError("creating the PKI directory \(directory): \(error)", openSSLErrors: "")
        }
        let caKeyPath = directory + "/ca.key"
        let ca: CertificateAuthority
        if FileManager.default.fileExists(atPath: caCertificatePath) {
            ca = try CertificateAuthority.load(certificatePath: caCertificatePath, keyPath: caKeyPath)
        } else {
            ca = try CertificateAuthority.create(commonName: "CyberMesh development CA", validityDays: validityDays)
            try PEMFiles.write(certificate: ca.certificate, to: caCertificatePath)
            try PEMFiles.write(privateKey: ca.key, to: caKeyPath)
        }
        for identity in identities {
            let files = configuration(for: identity)
            if FileManager.default.fileExists(atPath: files.certificatePath) { continue }
            let key = try OwnedKey.generateEd25519()
            let certificate = try ca.issue(for: identity, key: key, validityDays: validityDays)
            try PEMFiles.write(certificate: certificate, to: files.certificatePath)
            try PEMFiles.write(privateKey: key, to: files.privateKeyPath)
        }
    }
}

/// An owned `EVP_PKEY`.
final class OwnedKey {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_free(pointer) }

    static func generateEd25519() throws(TLSError) -> OwnedKey {
        guard let ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nil) else { throw TLSError("creating an Ed25519 key context") }
        defer { EVP_PKEY_CTX_free(ctx) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(ctx) == 1, EVP_PKEY_keygen(ctx, &key) == 1, let key else {
            throw TLSError("generating an Ed25519 key")
        }
        return OwnedKey(key)
    }
}

/// An owned `X509`.
final class OwnedCertificate {
    let pointer: OpaquePointer
    init(_ pointer: OpaquePointer) { self.pointer = pointer }
    deinit { X509_free(pointer) }
}

/// A CA certificate and its key, able to issue node certificates.
struct CertificateAuthority {
    let certificate: OwnedCertificate
    let key: OwnedKey

    static func create(commonName: String, validityDays: Int) throws(TLSError) -> CertificateAuthority {
        let key = try OwnedKey.generateEd25519()
        let certificate = try CertificateBuilder.build(
            subject: [("CN", commonName), ("O", "CyberMesh")], subjectKey: key,
            issuer: nil, issuerKey: key, validityDays: validityDays,
            extensions: [
                (NID_basic_constraints, "critical,CA:TRUE"),
                (NID_key_usage, "critical,keyCertSign,cRLSign"),
                (NID_subject_key_identifier, "hash"),
            ])
        return CertificateAuthority(certificate: certificate, key: key)
    }

    static func load(certificatePath: String, keyPath: String) throws(TLSError) -> CertificateAuthority {
        guard let certBIO = BIO_new_file(certificatePath, "r") else { throw TLSError("opening \(certificatePath)") }
        defer { BIO_free(certBIO) }
        guard let certificate = PEM_read_bio_X509(certBIO, nil, nil, nil) else { throw TLSError("reading \(certificatePath)") }
        guard let keyBIO = BIO_new_file(keyPath, "r") else {
            X509_free(certificate)
            throw TLSError("opening \(keyPath)")
        }
        defer { BIO_free(keyBIO) }
        guard let key = PEM_read_bio_PrivateKey(keyBIO, nil, nil, nil) else {
            X509_free(certificate)
            throw TLSError("reading \(keyPath)")
        }
        return CertificateAuthority(certificate: OwnedCertificate(certificate), key: OwnedKey(key))
    }

    func issue(for identity: PeerIdentity, key: OwnedKey, validityDays: Int) throws(TLSError) -> OwnedCertificate {
        try CertificateBuilder.build(
            subject: [("CN", identity.nodeID), ("OU", identity.role.rawValue), ("O", "CyberMesh")], subjectKey: key,
            issuer: certificate, issuerKey: self.key, validityDays: validityDays,
            extensions: [
                (NID_basic_constraints, "critical,CA:FALSE"),
                (NID_key_usage, "critical,digitalSignature"),
                (NID_ext_key_usage, "serverAuth,clientAuth"),
                (NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"),
                (NID_authority_key_identifier, "keyid:always"),
            ])
    }
}

enum CertificateBuilder {
    static func build(
        subject: [(String, String)], subjectKey: OwnedKey, issuer: OwnedCertificate?, issuerKey: OwnedKey,
        validityDays: Int, extensions: [(Int32, String)]
    ) throws(TLSError) -> OwnedCertificate {
        guard let x509 = X509_new() else { throw TLSError("allocating a certificate") }
        let certificate = OwnedCertificate(x509)
        guard X509_set_version(x509, 2) == 1 else { throw TLSError("setting the certificate version") }
        var serial = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&serial, Int32(serial.count)) == 1 else { throw TLSError("drawing a serial number") }
        serial[0] &= 0x7f
        guard let bn = BN_bin2bn(serial, Int32(serial.count), nil) else { throw TLSError("building the serial number") }
        defer { BN_free(bn) }
        guard BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x509)) != nil else { throw TLSError("setting the serial number") }
        guard X509_gmtime_adj(X509_getm_notBefore(x509), -3600) != nil,
              X509_gmtime_adj(X509_getm_notAfter(x509), validityDays * 86_400) != nil else {
            throw TLSError("setting the validity period")
        }
        guard X509_set_pubkey(x509, subjectKey.pointer) == 1 else { throw TLSError("setting the public key") }
        guard let name = X509_get_subject_name(x509) else { throw TLSError("reading the subject name") }
        for (field, value) in subject {
            guard X509_NAME_add_entry_by_txt(name, field, MBSTRING_ASC, value, -1, -1, 0) == 1 else {
                throw TLSError("setting subject \(field)=\(value)")
            }
        }
        let issuerName = issuer.map { X509_get_subject_name($0.pointer) } ?? name
        guard X509_set_issuer_name(x509, issuerName) == 1 else { throw TLSError("setting the issuer name") }
        var v3 = X509V3_CTX()
        X509V3_set_ctx(&v3, issuer?.pointer ?? x509, x509, nil, nil, 0)
        for (nid, value) in extensions {
            guard let ext = X509V3_EXT_conf_nid(nil, &v3, nid, value) else { throw TLSError("building extension \(value)") }
            defer { X509_EXTENSION_free(ext) }
            guard X509_add_ext(x509, ext, -1) == 1 else { throw TLSError("adding extension \(value)") }
        }
        // Ed25519 signs the whole message: no separate digest.
        guard X509_sign(x509, issuerKey.pointer, nil) > 0 else { throw TLSError("signing the certificate") }
        return certificate
    }
}

enum PEMFiles {
    static func write(certificate: OwnedCertificate, to path: String) throws(TLSError) {
        guard let bio = BIO_new_file(path, "w") else { throw TLSError("creating \(path)") }
        defer { BIO_free(bio) }
        guard PEM_write_bio_X509(bio, certificate.pointer) == 1 else { throw TLSError("writing \(path)") }
    }

    static func write(privateKey: OwnedKey, to path: String) throws(TLSError) {
        let created = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        guard created, let bio = BIO_new_file(path, "w") else { throw TLSError("creating \(path)") }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PrivateKey(bio, privateKey.pointer, nil, nil, 0, nil, nil) == 1 else {
            throw TLSError("writing \(path)")
        }
    }
}
