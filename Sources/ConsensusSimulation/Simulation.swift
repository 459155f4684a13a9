import ConsensusCore

/// The deterministic simulator (TigerBeetle's VOPR, in small): one thread,
/// N replicas of the real ConsensusCore, a simulated clock and network, and
/// one seed that decides every delay, loss, partition, crash, submission and
/// Byzantine behaviour. A safety phase with faults, then a liveness phase in
/// which the network heals and crashed replicas restart, and everything
/// submitted must be committed by every honest replica within the bound.
public final class Simulation {
    struct Node {
        let id: ValidatorID
        let behavior: Behavior
        /// Twins: which group of nodes this copy talks to (nil = everyone).
        var group: Set<Int>?
        private(set) var replica: Replica?
        /// Kept beside `replica` so that checking it never copies the replica.
        private(set) var hasReplica = false

        mutating func setReplica(_ new: Replica?) {
            replica = new
            hasReplica = new != nil
        }

        /// Steps the replica in place (no copy of its state).
        mutating func step(_ event: Replica.Event, nowMs: Int64) -> [Replica.Action] {
            replica!.step(event, nowMs: nowMs)
        }
        var persisted = PersistentState()
        var adversary: Adversary
        var crashedUntilMs: Int64?
        var startAtMs: Int64
        var clockSkewMs: Int64
        var started = false
        var committedHeight = 0
        /// A torn write or failed sync waiting for its next turn that writes.
        var pendingStorageFault: PendingStorageFault?
        /// Its log is corrupt: it refuses to start for the rest of the run.
        var refusesToStart = false
        var honest: Bool { behavior == .honest }
    }

    public let config: SimulationConfig
    public private(set) var nowMs: Int64 = 0
    let startMs: Int64 = 1_767_225_600_000
    var random: SeededGenerator
    var nodes: [Node] = []
    var network = SimulatedNetwork()
    var checker: SimulationChecker
    let validatorSet: ValidatorSet
    let parameters: GenesisParameters
    /// Every submitted transaction: its id and the hash of its bytes.
    var submitted: [Hash32: Hash32] = [:]
    var submittedAtMs: [Hash32: Int64] = [:]
    /// Simulated submit-to-commit latency of each transaction, at its first commit.
    public private(set) var commitLatenciesMs: [Int64] = []
    var submittedOrder: [Transaction] = []
    var transactionCounter = 0
    let workload: SimulatedWorkload
    public internal(set) var result: SimulationResult
    /// The largest message honest replicas sent, by kind (estimated wire bytes).
    public private(set) var largestHonestFrame: [String: Int] = [:]
    /// The most transactions an honest view change named in its prepared
    /// blocks (what it would have carried in full before claims).
    public private(set) var largestPreparedTransactions = 0
    var lastResubmitMs: Int64 = 0
    var inLiveness = false
    /// Storage faults draw from their own generator (StorageFaults.swift).
    var storageRandom: SeededGenerator
    var storageFaultProbabilityPerStep = 0.0
    var storageFaultsSendFirst = false
    /// Hooks a scenario may set: called after each step.
    public var afterStep: ((Simulation) -> Void)?

    public init(config: SimulationConfig) throws {
        self.config = config
        random = SeededGenerator(seed: config.seed)
        storageRandom = SeededGenerator(seed: config.seed ^ 0x5354_4F52_4147_4500)
        var set = try simulatedValidatorSet(count: config.validators)
        if config.unsafeQuorum { set = set.withUnsafeQuorum(size: set.quorum.size - 1) }
        validatorSet = set
        parameters = GenesisParameters(chainID: "sim-\(config.seed)", validatorSetHash: set.hash, configHash: SimulatedCrypto().hash(Array("sim".utf8)))
        checker = SimulationChecker(validatorSet: set, window: config.pbft.windowSize)
        result = SimulationResult(config: config)
        workload = config.workload ?? SimulatedWorkload(seed: config.seed)
        buildNodes()
    }

    private func buildNodes() {
        var ids = validatorSet.ids
        ids.shuffle(using: &random)
        let byzantineIDs = Set((config.byzantineIDs ?? ids).prefix(config.byzantine))
        var byzantineIndex = 0
        for id in validatorSet.ids {
            var behavior = Behavior.honest
            if byzantineIDs.contains(id) {
                behavior = config.behaviors.flatMap { $0.indices.contains(byzantineIndex) ? $0[byzantineIndex] : nil }
                    ?? Behavior.byzantine.randomElement(using: &random)!
                byzantineIndex += 1
            }
            result.behaviors[id] = behavior
            let skew = Int(id.value) - 1 < config.clockSkewsMs.count ? config.clockSkewsMs[Int(id.value) - 1] : 0
            var adversary = Adversary(behavior: behavior, id: id, signer: SimulatedSigner(validator: id))
            adversary.validators = UInt64(config.validators)
            let node = Node(id: id, behavior: behavior, adversary: adversary, startAtMs: config.delayedStartsMs[id] ?? 0, clockSkewMs: skew)
            nodes.append(node)
            if behavior == .twins { nodes.append(node) }
        }
        // Twins: split the other nodes in two groups, one per copy.
        // Sorted: Set order changes from process to process, and every draw here must replay.
        for id in Set(nodes.filter { $0.behavior == .twins }.map(\.id)).sorted() {
            let copies = nodes.indices.filter { nodes[$0].id == id }
            let others = nodes.indices.filter { nodes[$0].id != id }.shuffled(using: &random)
            let half = others.count / 2
            nodes[copies[0]].group = Set(others.prefix(half))
            nodes[copies[1]].group = Set(others.dropFirst(half))
        }
    }

    func makeReplica(for index: Int) -> Replica {
        let node = nodes[index]
        return Replica(
            localID: node.id, validatorSet: validatorSet, parameters: parameters,
            genesisConfig: config.genesis, config: config.pbft, crypto: SimulatedCrypto(),
            signer: SimulatedSigner(validator: node.id),
            transactionValidator: node.behavior == .divergentExecutor
                ? DivergentTransactions(faultyBeforeMs: startMs + config.divergentExecutionMs) : SimulatedTransactions(),
            seed: config.seed &+ UInt64(index), restoring: node.persisted.genesisCertificate == nil ? nil : node.persisted)
    }

    // MARK: - Running

    /// Runs the safety phase, then the liveness phase.
    public func run() -> SimulationResult {
        if config.faults { drawFaultMix() }
        for _ in 0..<config.safetySteps {
            step()
            if result.safetyViolation != nil { return finish() }
        }
        heal()
        inLiveness = true
        for _ in 0..<config.livenessSteps {
            step()
            if result.safetyViolation != nil { return finish() }
            if allCommitted() { return finish() }
        }
        result.livenessFailure = livenessReport()
        return finish()
    }

    /// Advances one step: restarts, faults, submissions, deliveries, ticks.
    public func step() {
        nowMs += config.stepMs
        startAndRestartNodes()
        if !inLiveness && config.faults { injectFaults() }
        submitTransactions()
        for envelope in network.due(by: nowMs) { deliver(envelope) }
        for index in nodes.indices where isRunning(index) {
            perform(index, event: .tick)
        }
        if let violation = checker.violation, result.safetyViolation == nil { result.safetyViolation = violation }
        if Int(nowMs / config.stepMs) % 50 == 0 { measureRetained() }
        afterStep?(self)
    }

    func isRunning(_ index: Int) -> Bool { nodes[index].started && nodes[index].crashedUntilMs == nil && nodes[index].hasReplica }

    private func startAndRestartNodes() {
        for index in nodes.indices {
            if !nodes[index].started, nowMs >= nodes[index].startAtMs {
                nodes[index].started = true
                nodes[index].setReplica(makeReplica(for: index))
                perform(index, event: .start)
            }
            if let until = nodes[index].crashedUntilMs, nowMs >= until, !nodes[index].refusesToStart {
                nodes[index].crashedUntilMs = nil
                nodes[index].setReplica(makeReplica(for: index))
                perform(index, event: .start)
            }
        }
    }

    func perform(_ index: Int, event: Replica.Event) {
        guard nodes[index].hasReplica else { return }
        // Mutated in place: copying a replica out of the array would make
        // every mutation copy its dictionaries.
        let actions = nodes[index].step(event, nowMs: startMs + nowMs + nodes[index].clockSkewMs)
        if let pending = nodes[index].pendingStorageFault, handleFaultedTurn(actions, from: index, pending) { return }
        handle(actions, from: index)
    }

    private func deliver(_ envelope: SimulatedNetwork.Envelope) {
        guard isRunning(envelope.toNode) else { return }
        perform(envelope.toNode, event: .receive(envelope.message, from: envelope.from))
    }

    func handle(_ actions: [Replica.Action], from index: Int) {
        var cachedPeers: [Int]?
        func everyone() -> [Int] {
            if let cachedPeers { return cachedPeers }
            let computed = peers(of: index)
            cachedPeers = computed
            return computed
        }
        for action in actions {
            switch action {
            case let .persist(record):
                nodes[index].persisted.apply(record)
            case .activated:
                if nodes[index].honest, result.genesisCompletedMs == nil { result.genesisCompletedMs = nowMs }
            case let .commit(block, execution):
                nodes[index].committedHeight = Int(block.height)
                if !nodes[index].honest {
                    checker.observeCertificate(block)
                    if let message = nodes[index].adversary.onCommit(block) {
                        let all = everyone()
                        send(message, from: index, to: all, everyone: all)
                    }
                }
                if nodes[index].honest {
                    let before = checker.height
                    checker.observe(block, execution, by: nodes[index].id, submitted: submitted)
                    if checker.height > before {
                        for transaction in block.block.transactions {
                            if let at = submittedAtMs.removeValue(forKey: transaction.id) { commitLatenciesMs.append(nowMs - at) }
                        }
                    }
                }
            case let .stateTransferred(checkpoint):
                nodes[index].committedHeight = Int(checkpoint.height)
                if nodes[index].honest { checker.observeTransfer(checkpoint, by: nodes[index].id) }
            case .diverged:
                if nodes[index].behavior == .divergentExecutor {
                    result.notes["divergences", default: 0] += 1
                } else if result.safetyViolation == nil {
                    // Honest replicas execute alike: one that finds itself
                    // diverged shows nondeterminism or a certified lie.
                    result.safetyViolation = "validator \(nodes[index].id) found its execution diverged from a quorum's"
                }
            case .admission:
                break
            case let .broadcast(message):
                let all = everyone()
                send(message, from: index, to: all, everyone: all)
            case let .send(message, to):
                let all = everyone()
                send(message, from: index, to: all.filter { nodes[$0].id == to }, everyone: all)
            }
        }
    }

    /// The nodes `index` talks to: everyone else, or a twin's own group.
    private func peers(of index: Int) -> [Int] {
        let id = nodes[index].id
        return nodes.indices.filter { $0 != index && nodes[$0].id != id && (nodes[index].group?.contains($0) ?? true) && reaches($0, index) }
    }

    /// Whether a message from `from` reaches node `to` (twins hear only their group).
    private func reaches(_ to: Int, _ from: Int) -> Bool {
        guard let group = nodes[to].group else { return true }
        return group.contains(from)
    }

    private func send(_ message: ConsensusMessage, from index: Int, to targets: [Int], everyone: [Int]) {
        guard !targets.isEmpty else { return }
        if nodes[index].honest {
            checker.observeSent(message, by: nodes[index].id)
            let size = SimulatedFrames.bytes(message)
            largestHonestFrame[message.kind] = max(largestHonestFrame[message.kind] ?? 0, size)
            if case let .viewChange(change) = message {
                largestPreparedTransactions = max(largestPreparedTransactions, change.prepared.reduce(0) { $0 + Int($1.header.transactionCount) })
            }
            if size > SimulatedFrames.limit, result.safetyViolation == nil {
                result.safetyViolation = "frame: validator \(nodes[index].id) would send a \(size)-byte \(message.kind), over the \(SimulatedFrames.limit)-byte frame limit"
            }
        }
        for (distorted, recipients) in nodes[index].adversary.distort(message, to: targets, everyone: everyone, random: &random) {
            for recipient in recipients {
                network.send(distorted, from: nodes[index].id, fromNode: index, toNode: recipient, nowMs: nowMs, random: &random)
            }
        }
    }

    // MARK: - Memory

    /// The most of each retained structure any honest replica held at any
    /// measurement (every 50 steps): what a Byzantine peer could make grow.
    public private(set) var peakRetained: [String: Int] = [:]

    /// What a replica may hold of what peers send, whatever they send: one
    /// vote per (voter, phase, view, height) over the tracked views and
    /// heights, one view change per voter, the early-proposal and
    /// pre-genesis buffers.
    public var retainedBounds: [String: Int] {
        let n = config.validators
        let views = Int(config.pbft.futureViewWindow) + 2
        let heights = Int(config.pbft.windowSize) * 4
        return [
            "slot_votes": 2 * n * views * heights,
            // This view's proposal and an earlier view's decided block per
            // tracked height, and the NewView's re-proposals beyond them
            // (up to two windows).
            "slot_proposals": 2 * heights + 2 * Int(config.pbft.windowSize),
            "view_changes": n,
            "early_proposals": config.pbft.earlyProposalLimit,
            "pre_genesis_messages": config.pbft.preGenesisLimit,
        ]
    }

    private func measureRetained() {
        let bounds = retainedBounds
        for index in nodes.indices where nodes[index].honest && isRunning(index) {
            guard let retained = nodes[index].replica?.retained else { continue }
            for (key, value) in retained where value > peakRetained[key] ?? 0 {
                peakRetained[key] = value
                if let bound = bounds[key], value > bound, result.safetyViolation == nil {
                    result.safetyViolation = "bounded memory: validator \(nodes[index].id) holds \(value) \(key), over the bound of \(bound)"
                }
            }
        }
    }

    // MARK: - Clients

    private func submitTransactions() {
        if !inLiveness, config.transactionsPerSecond > 0 {
            let probability = config.transactionsPerSecond * Double(config.stepMs) / 1000
            var remaining = probability
            while remaining > 0 {
                if Double.random(in: 0..<1, using: &random) < min(remaining, 1) { submitNew() }
                remaining -= 1
            }
        }
        // Like an ingestor, resubmit what is not committed yet, to every replica.
        if nowMs - lastResubmitMs >= 2_000 {
            lastResubmitMs = nowMs
            submittedOrder.removeAll { checker.committedTransactions.contains($0.id) }
            for transaction in submittedOrder {
                for index in nodes.indices where isRunning(index) { perform(index, event: .submit(transaction)) }
            }
        }
    }

    /// Submits one new transaction to every running replica.
    public func submitNew() {
        transactionCounter += 1
        let transaction = workload.event(number: transactionCounter, timestampMs: startMs + nowMs)
        submitted[transaction.id] = SimulatedCrypto().hash(transaction.payload)
        submittedAtMs[transaction.id] = nowMs
        submittedOrder.append(transaction)
        for index in nodes.indices where isRunning(index) { perform(index, event: .submit(transaction)) }
    }

    // MARK: - Faults

    var crashProbabilityPerStep = 0.0
    var partitionProbabilityPerStep = 0.0

    private func drawFaultMix() {
        var faults = SimulatedNetwork.Faults()
        faults.dropProbability = Bool.random(using: &random) ? Double.random(in: 0...0.1, using: &random) : 0
        faults.duplicateProbability = Double.random(in: 0...0.05, using: &random)
        faults.maximumDelayMs = Int64.random(in: 5...150, using: &random)
        network.faults = faults
        crashProbabilityPerStep = Bool.random(using: &random) ? 0.002 : 0
        partitionProbabilityPerStep = Bool.random(using: &random) ? 0.002 : 0
        storageFaultProbabilityPerStep = Bool.random(using: &storageRandom) ? 0.001 : 0
    }

    private func injectFaults() {
        injectStorageFault()
        if partitionProbabilityPerStep > 0, Double.random(in: 0..<1, using: &random) < partitionProbabilityPerStep {
            if network.partition == nil {
                let side = nodes.indices.filter { _ in Bool.random(using: &random) }
                network.partition = Set(side)
            } else {
                network.partition = nil
            }
        }
        if crashProbabilityPerStep > 0, Double.random(in: 0..<1, using: &random) < crashProbabilityPerStep {
            let candidates = nodes.indices.filter { nodes[$0].honest && isRunning($0) }
            if let victim = candidates.randomElement(using: &random) {
                crash(victim, forMs: Int64.random(in: 200...5_000, using: &random))
            }
        }
    }

    /// Crashes a node: its memory is lost, its persisted state kept.
    public func crash(_ index: Int, forMs duration: Int64) {
        nodes[index].setReplica(nil)
        nodes[index].crashedUntilMs = nowMs + duration
        network.discard(toNode: index)
    }

    /// Ends every fault: full connectivity, no loss, crashed nodes restart now.
    public func heal() {
        network.faults = SimulatedNetwork.Faults()
        network.partition = nil
        for index in nodes.indices { nodes[index].pendingStorageFault = nil }
        for index in nodes.indices where nodes[index].crashedUntilMs != nil && !nodes[index].refusesToStart { nodes[index].crashedUntilMs = nowMs }
    }

    // MARK: - Liveness

    func allCommitted() -> Bool {
        guard checker.committedTransactions.count == submitted.count else { return false }
        return nodes.indices.allSatisfy { !nodes[$0].honest || nodes[$0].refusesToStart || nodes[$0].committedHeight == checker.height }
    }

    private func livenessReport() -> String {
        let missing = submitted.count - checker.committedTransactions.count
        let heights = nodes.indices.filter { nodes[$0].honest && !nodes[$0].refusesToStart }.map { "\(nodes[$0].id):\(nodes[$0].committedHeight)" }.joined(separator: " ")
        let views = nodes.compactMap { node -> String? in
            guard node.honest, let replica = node.replica else { return nil }
            return "\(node.id):v\(replica.view)\(replica.isChangingView ? "->\(replica.targetView)" : "")"
        }.joined(separator: " ")
        return "\(missing) of \(submitted.count) transactions not committed after the network healed; heights \(heights); views \(views)"
    }

    private func finish() -> SimulationResult {
        result.committedHeight = checker.height
        result.committedTransactions = checker.committedTransactions.count
        result.submittedTransactions = submitted.count
        result.messagesDelivered = network.delivered
        result.simulatedMs = nowMs
        result.viewChanges = nodes.compactMap { $0.honest ? $0.replica?.viewChangeCount : nil }.max() ?? 0
        result.stateRootsCompared = checker.rootsCompared
        result.stateRejections = checker.rejectedByStateMachine
        let statistics = nodes.compactMap { $0.honest ? $0.replica?.statistics : nil }
        result.stableCheckpoints = statistics.map(\.stableCheckpoints).max() ?? 0
        result.snapshotsInstalled = statistics.reduce(0) { $0 + $1.snapshotsInstalled }
        result.forgeriesDetected = statistics.reduce(0) { $0 + $1.rejectedBlocks + $1.rejectedSnapshots }
        return result
    }

    // MARK: - Inspection and control (scenarios and tests)

    /// Steps until `condition` holds; false if `maximumSteps` pass first or
    /// safety is violated.
    @discardableResult
    public func run(until condition: (Simulation) -> Bool, maximumSteps: Int) -> Bool {
        for _ in 0..<maximumSteps {
            if condition(self) { return true }
            step()
            if checker.violation != nil { return false }
        }
        return condition(self)
    }

    /// Cuts the network between the given validators and the rest (nil heals).
    public func partition(_ side: Set<ValidatorID>?) {
        network.partition = side.map { ids in Set(nodes.indices.filter { ids.contains(nodes[$0].id) }) }
    }

    /// Crashes validator `id` and throws its disk away: it restarts after
    /// `forMs` from nothing (genesis certificate, blocks, snapshot all gone).
    public func wipe(validator id: ValidatorID, forMs duration: Int64) {
        let index = index(of: id)
        crash(index, forMs: duration)
        nodes[index].persisted = PersistentState()
        // It no longer knows what it signed (docs/validator.md: it counts
        // as one of the f faults until it has caught up).
        checker.forgetSent(by: nodes[index].id)
    }

    /// Crashes validator `id` (its first copy) for `forMs`.
    public func crash(validator id: ValidatorID, forMs duration: Int64) { crash(index(of: id), forMs: duration) }

    public func isUp(_ id: ValidatorID) -> Bool { isRunning(index(of: id)) }

    /// Whether every honest replica has committed every submitted transaction.
    public var everythingCommitted: Bool { allCommitted() }

    /// Honest replicas that are running.
    public var runningHonestReplicas: [Replica] {
        nodes.indices.filter { nodes[$0].honest && isRunning($0) }.compactMap { nodes[$0].replica }
    }

    /// Stops generating new transactions (resubmission of pending ones goes on).
    public func stopSubmitting() { inLiveness = true }

    public func replica(_ id: ValidatorID) -> Replica? { nodes.first { $0.id == id }?.replica }
    public func index(of id: ValidatorID) -> Int { nodes.firstIndex { $0.id == id }! }
    public var honestIDs: [ValidatorID] { nodes.filter(\.honest).map(\.id) }
    public var canonicalHeight: Int { checker.height }
    /// The state root honest replicas computed at `height` (nil above the canonical height).
    public func canonicalRoot(at height: UInt64) -> Hash32? {
        height >= 1 && Int(height) <= checker.roots.count ? checker.roots[Int(height) - 1] : nil
    }
    public var violation: String? { checker.violation }
    public var submittedCount: Int { submitted.count }
    public func note(_ key: String, _ value: Int) { result.notes[key] = value }
}
