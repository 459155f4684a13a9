import ConsensusCore
import Events
import Wire

/// The operator port's JSON documents (CONTRACT §7), built from a
/// published `NodeStatus`. The gateway forwards the same documents.
enum StatusDocuments {
    struct Status: Encodable {
        struct Genesis: Encodable {
            struct Rejection: Encodable {
                let validatorId: UInt32
                let reason: String
            }

            let phase: String
            let hash: String?
            let round: UInt64
            let aggregator: UInt32
            let quorum: Int
            let attestationsHeld: Int
            let attestationsFrom: [UInt32]
            let missing: [UInt32]
            let rejections: [Rejection]
        }

        struct Peer: Encodable {
            let id: UInt32
            let connected: Bool
            let lastSeenMs: Int64?
        }

        struct Mempool: Encodable {
            let size: Int
            let bytes: Int
            let admitted: Int
            let duplicates: Int
            let alreadyCommitted: Int
            let full: Int
            let rateLimited: Int
            let rejected: Int
            let expired: Int
        }

        let nodeId: UInt32
        let chainId: String
        let height: UInt64
        let lastBlockHash: String?
        let stateRoot: String?
        let view: UInt64
        let leader: UInt32
        let quorum: Int
        let changingView: Bool
        let viewChanges: Int
        let committedTx: UInt64
        let lastCommitMs: Int64?
        let genesis: Genesis
        let peers: [Peer]
        let mempool: Mempool
        /// Non-null while this validator's execution differs from what a
        /// quorum certified: it does not vote until a snapshot repairs it.
        let diverged: Diverged?
        /// Non-null once a write or `fdatasync` failed: the validator sends
        /// nothing more until it is restarted.
        let storageFailure: String?
        /// The producer trust store in force (re-read on SIGHUP).
        let trustStore: TrustStoreInfo?
    }

    struct TrustStoreInfo: Encodable {
        let path: String
        let sha256: String
        let producers: Int
        let loadedAtMs: Int64
    }

    struct Diverged: Encodable {
        let height: UInt64
        let detectedAt: UInt64
        let certifiedStateRoot: String
        let ownStateRoot: String?
        let certifiedOutcomesHash: String?
        let ownOutcomesHash: String?
    }

    static func status(_ s: NodeStatus, trustStore: TrustStoreFile? = nil) -> Status {
        let crypto = SodiumConsensusCrypto()
        let genesis: Status.Genesis
        if let certificate = s.certificate {
            genesis = Status.Genesis(
                phase: "complete", hash: certificate.hash(crypto).hex, round: certificate.round, aggregator: certificate.aggregator.value,
                quorum: s.quorum, attestationsHeld: certificate.attestations.count,
                attestationsFrom: certificate.validators.map(\.value).sorted(), missing: [], rejections: [])
        } else if let g = s.genesis {
            genesis = Status.Genesis(
                phase: g.phase.rawValue, hash: nil, round: g.round, aggregator: g.aggregator.value, quorum: g.quorum,
                attestationsHeld: g.attestationsHeld.count, attestationsFrom: g.attestationsHeld.map(\.value).sorted(),
                missing: g.missing.map(\.value).sorted(),
                rejections: g.rejections.sorted { $0.key < $1.key }.map { Status.Genesis.Rejection(validatorId: $0.key.value, reason: $0.value) })
        } else {
            genesis = Status.Genesis(
                phase: "starting", hash: nil, round: 0, aggregator: 0, quorum: s.quorum, attestationsHeld: 0, attestationsFrom: [],
                missing: [], rejections: [])
        }
        let m = s.mempool
        return Status(
            nodeId: s.nodeID.value, chainId: s.chainID, height: s.height, lastBlockHash: s.lastBlockHash?.hex, stateRoot: s.stateRoot?.hex,
            view: s.view, leader: s.leader.value, quorum: s.quorum, changingView: s.changingView, viewChanges: s.viewChanges,
            committedTx: s.committedTransactions, lastCommitMs: s.lastCommitMs, genesis: genesis,
            peers: s.peers.map { Status.Peer(id: $0.id.value, connected: $0.connected, lastSeenMs: $0.lastSeenMs) },
            mempool: Status.Mempool(
                size: s.mempoolSize, bytes: s.mempoolBytes, admitted: m.admitted, duplicates: m.duplicates, alreadyCommitted: m.alreadyCommitted,
                full: m.full, rateLimited: m.rateLimited, rejected: m.rejected, expired: m.expired),
            diverged: s.divergence.map {
                Diverged(
                    height: $0.height, detectedAt: $0.detectedAt, certifiedStateRoot: $0.certifiedRoot.hex, ownStateRoot: $0.ownRoot?.hex,
                    certifiedOutcomesHash: $0.certifiedOutcomes?.hex, ownOutcomesHash: $0.ownOutcomes?.hex)
            },
            storageFailure: s.storageFailure,
            trustStore: trustStore.map { file in
                let loaded = file.loaded
                return TrustStoreInfo(path: file.path, sha256: loaded.sha256, producers: loaded.store.producers.count, loadedAtMs: loaded.loadedAtMs)
            })
    }

    struct Genesis: Encodable {
        struct Validator: Encodable {
            let id: UInt32
            let name: String
            let publicKey: String
        }

        struct Attestation: Encodable {
            let validatorId: UInt32
            let timestampMs: Int64
            let signature: String
        }

        let chainId: String
        let round: UInt64
        let aggregator: UInt32
        let validators: [Validator]
        let attestations: [Attestation]
        let hash: String
    }

    static func genesis(_ certificate: GenesisCertificate, set: ValidatorSet) -> Genesis {
        Genesis(
            chainId: certificate.parameters.chainID, round: certificate.round, aggregator: certificate.aggregator.value,
            validators: set.validators.map { Genesis.Validator(id: $0.id.value, name: $0.name, publicKey: Hex.encode($0.publicKey)) },
            attestations: certificate.attestations.map {
                Genesis.Attestation(validatorId: $0.validator.value, timestampMs: $0.timestampMs, signature: Hex.encode($0.signature))
            },
            hash: certificate.hash(SodiumConsensusCrypto()).hex)
    }

    struct Validators: Encodable {
        struct Reputation: Encodable {
            let missedProposals: Int
            let viewChangesCaused: Int
        }

        struct Validator: Encodable {
            let id: UInt32
            let name: String
            let publicKey: String
            let status: String
            let lastSeenMs: Int64?
            let reputation: Reputation
        }

        let view: UInt64
        let leader: UInt32
        let quorum: Int
        let validators: [Validator]
    }

    static func validators(_ s: NodeStatus, set: ValidatorSet, nowMs: Int64) -> Validators {
        let peers = Dictionary(uniqueKeysWithValues: s.peers.map { ($0.id, $0) })
        return Validators(view: s.view, leader: s.leader.value, quorum: s.quorum, validators: set.validators.map { info in
            let reputation = s.reputation[info.id] ?? Replica.Reputation()
            let isSelf = info.id == s.nodeID
            let peer = peers[info.id]
            let active = isSelf || (peer?.connected ?? false) || (peer?.lastSeenMs.map { nowMs - $0 < 10_000 } ?? false)
            return Validators.Validator(
                id: info.id.value, name: info.name, publicKey: Hex.encode(info.publicKey), status: active ? "active" : "unreachable",
                lastSeenMs: isSelf ? nowMs : peer?.lastSeenMs,
                reputation: Validators.Reputation(missedProposals: reputation.missedProposals, viewChangesCaused: reputation.viewChangesCaused))
        })
    }
}

/// Answers the operator routes for both the HTTP port and gateway queries
/// on the Wire, from the published status (blocks from the driver).
final class OperatorQueries: Sendable {
    let driver: ConsensusDriver
    let validatorSet: ValidatorSet
    let trustStore: TrustStoreFile?

    init(driver: ConsensusDriver, validatorSet: ValidatorSet, trustStore: TrustStoreFile? = nil) {
        self.driver = driver
        self.validatorSet = validatorSet
        self.trustStore = trustStore
    }

    /// Calls `reply` with an HTTP status and a JSON body, possibly later
    /// (block reads happen on the driver's thread).
    func answer(path: String, reply: @escaping @Sendable (UInt32, [UInt8]) -> Void) {
        let status = driver.status.current
        switch path {
        case "/status":
            reply(200, DocumentJSON.encode(StatusDocuments.status(status, trustStore: trustStore)))
        case "/genesis":
            guard let certificate = status.certificate else {
                return reply(404, DocumentJSON.encode(ErrorDocument(code: "genesis_not_complete", message: "the genesis ceremony has not completed on this validator; see /status")))
            }
            reply(200, DocumentJSON.encode(StatusDocuments.genesis(certificate, set: validatorSet)))
        case "/validators":
            reply(200, DocumentJSON.encode(StatusDocuments.validators(status, set: validatorSet, nowMs: driver.clock.nowMs())))
        default:
            guard path.hasPrefix("/blocks/") else {
                return reply(404, DocumentJSON.encode(ErrorDocument(code: "not_found", message: "no route \(path); routes: /health, /ready, /metrics, /status, /genesis, /validators, /blocks/{height}")))
            }
            let text = path.dropFirst("/blocks/".count)
            guard let height = UInt64(text), height > 0 else {
                return reply(400, DocumentJSON.encode(ErrorDocument(code: "bad_parameter", message: "height must be a positive integer, got \"\(text)\"")))
            }
            guard height <= status.height else {
                return reply(404, DocumentJSON.encode(ErrorDocument(code: "not_found", message: "height \(height) is above this validator's height \(status.height)")))
            }
            driver.enqueue(.block(height) { block in
                guard let block else {
                    return reply(404, DocumentJSON.encode(ErrorDocument(code: "not_found", message: "this validator does not hold block \(height) (it installed a snapshot above it)")))
                }
                reply(200, DocumentJSON.encode(BlockDocument(block)))
            })
        }
    }

    /// Why this validator is not ready, or empty when it is.
    func notReady() -> [String] {
        let status = driver.status.current
        var reasons: [String] = []
        if !status.genesisComplete { reasons.append("genesis not complete (\(status.genesis?.phase.rawValue ?? "starting"))") }
        let connected = status.peers.filter(\.connected).count + 1
        if connected < status.quorum { reasons.append("links to \(connected) of \(status.quorum) validators needed for a quorum (this one included)") }
        return reasons
    }
}
