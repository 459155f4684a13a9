import ConsensusCore

/// How a Byzantine replica misbehaves. Each runs the honest core and
/// distorts what it sends (or, for twins, runs two honest cores under one
/// identity), so every attack is one a real faulty node could mount with
/// its own key.
public enum Behavior: String, CaseIterable, Sendable {
    case honest
    /// Sends nothing at all.
    case silent
    /// As leader, proposes different blocks to different halves of the cluster.
    case equivocatingLeader = "equivocating-leader"
    /// Also votes for made-up blocks at the heights it votes on.
    case conflictingVoter = "conflicting-voter"
    /// Re-sends old messages it has seen, from anyone.
    case replayer
    /// Sends messages that claim other validators' identities, with bad signatures.
    case forger
    /// As leader, leaves out some transactions (those whose id starts with an even byte).
    case censor
    /// Two honest replicas with one identity, each seeing part of the cluster.
    case twins
    /// Serves catch-up with forged data: committed blocks with a transaction
    /// swapped out, snapshot chunks with altered entries.
    case forgingServer = "forging-server"
    /// As leader, proposes known transaction ids carrying other payloads
    /// (the producer's signature kept, the event changed): to half the
    /// cluster under the original block hash and signature, to the other
    /// half as a re-signed block.
    case payloadSwap = "byz-payload-swap"
    /// Besides its honest messages, signs and sends Int64/UInt64 extremes in
    /// every numeric field: timestamps, views, heights, chunk indexes.
    case extremeValues = "byz-extreme-values"
    /// Besides its honest messages, votes and view changes for huge views
    /// (within the 2^62 limit) and random digests, and proposals for the
    /// far-future views it leads.
    case farFutureViews = "byz-far-future-views"
    /// As many valid messages as the network takes: each honest message is
    /// followed by a burst of votes for random digests at every height in
    /// the window, proposals for its future views, checkpoints, and block
    /// and snapshot requests from height 1.
    case flood = "byz-flood"
    /// Certifies wrong execution results: as leader, proposes blocks whose
    /// header carries a made-up state root (odd heights) or outcomes hash
    /// (even heights), re-signed; its checkpoints claim a made-up root.
    case stateLiar = "byz-state-liar"
    /// Serves catch-up badly: a block answer is dropped or cut to its first
    /// block, snapshot chunks trickle (most requests go unanswered).
    case catchUpLiar = "byz-catchup-liar"
    /// As a new leader, sends its NewView to one other validator only.
    case selectiveNewView = "byz-selective-newview"
    /// As leader, gets full blocks prepared but never committed: its
    /// proposals skip one validator, it withholds its commit votes and
    /// serves no catch-up, so the view change that follows carries a window
    /// of the largest blocks.
    case oversize = "byz-oversize"
    /// As leader, commits blocks alone: its proposals skip one validator,
    /// it withholds its commit votes and serves no block, and on each
    /// commit it sends at once a view change carrying the commit
    /// certificate only it holds, so the next NewView's base is a block no
    /// honest replica has committed (an attacker's review of 540a9ad).
    case commitWithholder = "byz-commit-withholder"
    /// Not malicious but faulty: its state machine reads some early events
    /// differently (as a validator with a bug or a corrupted binary would),
    /// so its state diverges. It must notice, stop voting and recover.
    case divergentExecutor = "divergent-executor"

    static let byzantine: [Behavior] = [
        .silent, .equivocatingLeader, .conflictingVoter, .replayer, .forger, .censor, .twins, .forgingServer,
        .payloadSwap, .extremeValues, .farFutureViews, .flood, .stateLiar, .divergentExecutor, .catchUpLiar, .selectiveNewView, .oversize,
        .commitWithholder,
    ]
}

/// Distorts a Byzantine replica's outgoing messages.
struct Adversary {
    let behavior: Behavior
    let id: ValidatorID
    let signer: SimulatedSigner
    let crypto = SimulatedCrypto()
    var seen: [ConsensusMessage] = []
    /// Censor: original block hash -> the censored block's hash.
    var censored: [Hash32: Hash32] = [:]
    /// The cluster size (views led: id - 1 modulo it).
    var validators: UInt64 = 1
    /// Extreme values: the genesis parameters, from this node's own first attestation.
    var parameters: GenesisParameters?
    /// Commit withholder: the highest commit certificate its core formed,
    /// and the highest view it sent an early view change for.
    var withheld: QuorumCertificate?
    var earlyViewChangeFor: UInt64 = 0

    /// What the node sends when its core commits `block`, besides its
    /// honest actions.
    mutating func onCommit(_ block: CommittedBlock) -> ConsensusMessage? {
        guard behavior == .commitWithholder else { return nil }
        withheld = block.certificate
        return earlyViewChange(after: block.view)
    }

    /// Commit withholder: a view change for `view + 1` carrying its
    /// highest certificate, once per view, before any honest replica
    /// suspects the leader (so every NewView's quorum can include it).
    private mutating func earlyViewChange(after view: UInt64) -> ConsensusMessage? {
        guard let withheld, view + 1 > earlyViewChangeFor else { return nil }
        earlyViewChangeFor = view + 1
        return .viewChange(ViewChange.make(newView: view + 1, voter: id, committed: withheld, prepared: [], signer: signer))
    }

    /// What the node actually sends for one honest action: (message, target
    /// node indexes). `everyone` are the indexes of all other nodes.
    mutating func distort(
        _ message: ConsensusMessage, to targets: [Int], everyone: [Int], random: inout SeededGenerator
    ) -> [(ConsensusMessage, [Int])] {
        switch behavior {
        case .honest, .twins, .divergentExecutor:
            return [(message, targets)]
        case .stateLiar:
            return [(lyingAboutState(message), targets)]
        case .catchUpLiar:
            switch message {
            case let .blocks(blocks):
                // Never, partially (one block), or whole: a third each, so
                // it makes just enough progress to look alive.
                switch Int.random(in: 0..<3, using: &random) {
                case 0: return []
                case 1: return [(.blocks(Array(blocks.prefix(1))), targets)]
                default: return [(message, targets)]
                }
            case .snapshotChunk:
                return Int.random(in: 0..<4, using: &random) == 0 ? [(message, targets)] : []
            default:
                return [(message, targets)]
            }
        case .oversize:
            switch message {
            case .proposal: return [(message, Array(targets.dropLast()))]
            case let .vote(vote) where vote.phase == .commit: return []
            case .blocks, .snapshotChunk: return []
            default: return [(message, targets)]
            }
        case .commitWithholder:
            var out: [(ConsensusMessage, [Int])]
            switch message {
            case .proposal: out = [(message, Array(targets.dropLast()))]
            case let .vote(vote) where vote.phase == .commit: out = []
            case .blocks, .blockBody, .snapshotChunk: out = []
            default: out = [(message, targets)]
            }
            let view: UInt64? = switch message {
            case let .vote(vote): vote.view
            case let .proposal(proposal): proposal.view
            case let .heartbeat(heartbeat): heartbeat.view
            case let .newView(newView): newView.view
            default: nil
            }
            if let view, let early = earlyViewChange(after: view) { out.append((early, everyone)) }
            return out
        case .selectiveNewView:
            guard case .newView = message else { return [(message, targets)] }
            return [(message, Array(targets.prefix(1)))]
        case .silent:
            return []
        case .equivocatingLeader:
            guard case let .proposal(proposal) = message, !proposal.block.transactions.isEmpty else { return [(message, targets)] }
            let half = targets.count / 2
            let alternative = Block.make(
                height: proposal.block.height, previousHash: proposal.block.previousHash, proposer: id,
                timestampMs: proposal.block.timestampMs, transactions: Array(proposal.block.transactions.dropLast()),
                results: proposal.block.results, crypto: crypto)
            let other = Proposal.make(view: proposal.view, block: alternative, crypto: crypto, signer: signer)
            return [(message, Array(targets.prefix(half))), (.proposal(other), Array(targets.dropFirst(half)))]
        case .conflictingVoter:
            guard case let .vote(vote) = message else { return [(message, targets)] }
            let madeUp = crypto.hash(vote.blockHash.bytes + [UInt8.random(in: 0...255, using: &random)])
            let conflicting = Vote.make(phase: vote.phase, view: vote.view, height: vote.height, blockHash: madeUp, voter: id, signer: signer)
            let half = targets.count / 2
            return [(message, Array(targets.prefix(half))), (.vote(conflicting), Array(targets.dropFirst(half)))]
        case .replayer:
            seen.append(message)
            if seen.count > 200 { seen.removeFirst(seen.count - 200) }
            var out = [(message, targets)]
            if let old = seen.randomElement(using: &random) { out.append((old, everyone)) }
            return out
        case .forger:
            var out = [(message, targets)]
            if case let .vote(vote) = message {
                let victim = ValidatorID(vote.voter.value % 7 + 1)
                let forged = Vote(phase: vote.phase, view: vote.view, height: vote.height, blockHash: crypto.hash(vote.blockHash.bytes + [1]),
                                  voter: victim, signature: (0..<64).map { _ in UInt8.random(in: 0...255, using: &random) })
                out.append((.vote(forged), everyone))
            }
            return out
        case .forgingServer:
            switch message {
            case let .blocks(blocks):
                return [(.blocks(blocks.map(forged)), targets)]
            case let .snapshotChunk(chunk):
                return [(.snapshotChunk(forged(chunk)), targets)]
            default:
                return [(message, targets)]
            }
        case .payloadSwap:
            guard case let .proposal(proposal) = message, let other = swapped(proposal) else { return [(message, targets)] }
            let half = targets.count / 2
            return [(message, Array(targets.prefix(half))), (.proposal(other), Array(targets.dropFirst(half)))]
        case .extremeValues:
            if case let .genesis(.ready(ready)) = message, parameters == nil { parameters = ready.parameters }
            return [(message, targets)] + extremes(of: message, random: &random).map { ($0, everyone) }
        case .farFutureViews:
            return [(message, targets)] + farFuture(message, random: &random).map { ($0, everyone) }
        case .flood:
            return [(message, targets)] + flood(message, random: &random).map { ($0, everyone) }
        case .censor:
            switch message {
            case let .proposal(proposal):
                let kept = proposal.block.transactions.filter { $0.id.bytes[0] % 2 == 1 }
                let block = Block.make(
                    height: proposal.block.height, previousHash: censoredParent(proposal.block.previousHash), proposer: id,
                    timestampMs: proposal.block.timestampMs, transactions: kept, results: proposal.block.results, crypto: crypto)
                let replacement = Proposal.make(view: proposal.view, block: block, crypto: crypto, signer: signer)
                censored[proposal.blockHash] = replacement.blockHash
                return [(.proposal(replacement), targets)]
            case let .vote(vote):
                guard let hash = censored[vote.blockHash] else { return [(message, targets)] }
                return [(.vote(Vote.make(phase: vote.phase, view: vote.view, height: vote.height, blockHash: hash, voter: id, signer: signer)), targets)]
            default:
                return [(message, targets)]
            }
        }
    }

    private func censoredParent(_ hash: Hash32) -> Hash32 { censored[hash] ?? hash }

    /// Its proposals and checkpoints with made-up execution results, validly signed.
    private func lyingAboutState(_ message: ConsensusMessage) -> ConsensusMessage {
        switch message {
        case let .proposal(proposal):
            let block = proposal.block
            let truth = block.results
            let lie = block.height % 2 == 1
                ? ExecutionResults(height: truth.height, stateRoot: crypto.hash(truth.stateRoot.bytes + [1]), outcomesHash: truth.outcomesHash)
                : ExecutionResults(height: truth.height, stateRoot: truth.stateRoot, outcomesHash: crypto.hash(truth.outcomesHash.bytes + [1]))
            let lying = Block.make(
                height: block.height, previousHash: block.previousHash, proposer: id, timestampMs: block.timestampMs,
                transactions: block.transactions, results: lie, crypto: crypto)
            return .proposal(Proposal.make(view: proposal.view, block: lying, crypto: crypto, signer: signer))
        case let .checkpoint(checkpoint):
            return .checkpoint(Checkpoint.make(
                height: checkpoint.height, blockHash: checkpoint.blockHash, blockTimestampMs: checkpoint.blockTimestampMs,
                stateRoot: crypto.hash(checkpoint.stateRoot.bytes + [1]), voter: id, signer: signer))
        default:
            return message
        }
    }

    /// The proposal with its first transaction's payload swapped: at even
    /// heights under the original hash and signature, at odd heights as a
    /// new block signed by this leader.
    private func swapped(_ proposal: Proposal) -> Proposal? {
        var transactions = proposal.block.transactions
        guard !transactions.isEmpty, let swapped = SimulatedTransactions.swappedPayload(of: transactions[0]) else { return nil }
        transactions[0] = swapped
        let block = proposal.block
        if block.height % 2 == 0 {
            let same = Block(
                height: block.height, previousHash: block.previousHash, proposer: block.proposer, timestampMs: block.timestampMs,
                transactions: transactions, transactionRoot: block.transactionRoot, results: block.results)
            return Proposal(view: proposal.view, block: same, blockHash: proposal.blockHash, signature: proposal.signature)
        }
        let resigned = Block.make(
            height: block.height, previousHash: block.previousHash, proposer: id, timestampMs: block.timestampMs,
            transactions: transactions, results: block.results, crypto: crypto)
        return Proposal.make(view: proposal.view, block: resigned, crypto: crypto, signer: signer)
    }

    /// A view this node leads, at or above `from` (views it may sign proposals for).
    private func ledView(atLeast from: UInt64, validators: UInt64) -> UInt64 {
        let own = UInt64(id.value - 1)
        let base = from - from % validators
        return base + own >= from ? base + own : base + validators + own
    }

    private func randomDigest(_ random: inout SeededGenerator) -> Hash32 {
        crypto.hash((0..<8).map { _ in UInt8.random(in: 0...255, using: &random) })
    }

    /// Votes and view changes for views between the next few and 2^62, for
    /// random digests; proposals for the far-future views it leads.
    private func farFuture(_ message: ConsensusMessage, random: inout SeededGenerator) -> [ConsensusMessage] {
        guard case let .vote(vote) = message else { return [] }
        var out: [ConsensusMessage] = []
        for offset in UInt64(0)..<48 {
            let view = Bool.random(using: &random)
                ? vote.view + UInt64.random(in: 1...64, using: &random)
                : UInt64.random(in: vote.view...ConsensusLimits.maximumView, using: &random)
            out.append(.vote(Vote.make(phase: vote.phase, view: view, height: vote.height + offset % 16,
                                       blockHash: randomDigest(&random), voter: id, signer: signer)))
        }
        let far = UInt64.random(in: vote.view + 1...ConsensusLimits.maximumView, using: &random)
        out.append(.viewChange(ViewChange.make(newView: far, voter: id, committed: nil, prepared: [], signer: signer)))
        return out
    }

    /// A burst of valid messages per honest one: the flood.
    private func flood(_ message: ConsensusMessage, random: inout SeededGenerator) -> [ConsensusMessage] {
        guard case let .vote(vote) = message else {
            return [.blockRequest(fromHeight: 1), .snapshotRequest(height: 0, chunk: 0)]
        }
        var out: [ConsensusMessage] = []
        for offset in UInt64(0)..<16 {
            for phase in [VotePhase.prepare, .commit] {
                for view in [vote.view, vote.view + 1] {
                    out.append(.vote(Vote.make(phase: phase, view: view, height: vote.height + offset,
                                               blockHash: randomDigest(&random), voter: id, signer: signer)))
                }
            }
        }
        for offset in UInt64(0)..<8 {
            let view = ledView(atLeast: vote.view + 1 + offset * validators, validators: validators)
            let block = Block.make(height: vote.height, previousHash: randomDigest(&random), proposer: id, timestampMs: 0, transactions: [],
                                   results: .genesis(crypto: crypto), crypto: crypto)
            out.append(.proposal(Proposal.make(view: view, block: block, crypto: crypto, signer: signer)))
        }
        out.append(.blockRequest(fromHeight: 1))
        out.append(.snapshotRequest(height: 0, chunk: 0))
        return out
    }

    static let extremeUnsigned: [UInt64] = [.max, .max - 1, 1 << 63, 0]
    static let extremeSigned: [Int64] = [.min, .max, .min + 1, .max - 1]

    /// Validly signed messages with extreme numbers, one or two per honest
    /// message, chosen by the seed.
    private func extremes(of message: ConsensusMessage, random: inout SeededGenerator) -> [ConsensusMessage] {
        let big = Self.extremeUnsigned.randomElement(using: &random)!
        let time = Self.extremeSigned.randomElement(using: &random)!
        var out: [ConsensusMessage] = []
        switch message {
        case let .proposal(proposal):
            let block = proposal.block
            let extreme = Block.make(
                height: Bool.random(using: &random) ? block.height : big, previousHash: block.previousHash, proposer: id,
                timestampMs: time, transactions: block.transactions, results: block.results, crypto: crypto)
            out.append(.proposal(Proposal.make(view: Bool.random(using: &random) ? proposal.view : big, block: extreme, crypto: crypto, signer: signer)))
        case let .vote(vote):
            out.append(.vote(Vote.make(phase: vote.phase, view: big, height: Self.extremeUnsigned.randomElement(using: &random)!,
                                       blockHash: vote.blockHash, voter: id, signer: signer)))
        case let .heartbeat(heartbeat):
            out.append(.heartbeat(LeaderHeartbeat.make(
                view: Bool.random(using: &random) ? heartbeat.view : big, leader: id, committedHeight: big, sentAtMs: time, signer: signer)))
        case let .checkpoint(checkpoint):
            out.append(.checkpoint(Checkpoint.make(
                height: big, blockHash: checkpoint.blockHash, blockTimestampMs: time, stateRoot: checkpoint.stateRoot, voter: id, signer: signer)))
        case let .viewChange(change):
            out.append(.viewChange(ViewChange.make(newView: big, voter: id, committed: change.committed, prepared: [], signer: signer)))
        default:
            break
        }
        if let parameters {
            out.append(.genesis(.ready(GenesisReady.make(
                parameters: parameters, validator: id, timestampMs: time, nonce: Array(repeating: 7, count: GenesisReady.nonceByteCount), signer: signer))))
        }
        switch Int.random(in: 0..<4, using: &random) {
        case 0: out.append(.blockRequest(fromHeight: big))
        case 1: out.append(.snapshotRequest(height: big, chunk: .max))
        default: break
        }
        return out
    }

    /// The same block and certificate with its last transaction replaced by
    /// a made-up one (the transaction root is recomputed, the hash kept).
    private func forged(_ committed: CommittedBlock) -> CommittedBlock {
        var transactions = committed.block.transactions
        let madeUp = SimulatedWorkload(seed: 0xBAD).event(number: Int(committed.height), timestampMs: committed.block.timestampMs)
        if transactions.isEmpty { transactions.append(madeUp) } else { transactions[transactions.count - 1] = madeUp }
        let block = Block.make(
            height: committed.height, previousHash: committed.block.previousHash, proposer: committed.block.proposer,
            timestampMs: committed.block.timestampMs, transactions: transactions, results: committed.block.results, crypto: crypto)
        return CommittedBlock(block: block, blockHash: committed.blockHash, certificate: committed.certificate)
    }

    /// The same chunk with every count entry raised by one (valid encoding,
    /// wrong state): only the root comparison can catch it.
    private func forged(_ chunk: SnapshotChunk) -> SnapshotChunk {
        let entries = chunk.entries.map { entry -> StateEntry in
            guard let key = StateKey(bytes: entry.key) else { return entry }
            switch key {
            case .domainCount, .severityCount, .producerCount:
                var encoder = CanonicalEncoder()
                var decoder = CanonicalDecoder(entry.value)
                encoder.append(((try? decoder.uint64()) ?? 0) + 1)
                return StateEntry(key: entry.key, value: encoder.bytes)
            default:
                return entry
            }
        }
        return SnapshotChunk(checkpoint: chunk.checkpoint, index: chunk.index, count: chunk.count, block: chunk.block, entries: entries)
    }
}
