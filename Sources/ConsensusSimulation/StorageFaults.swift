import ConsensusCore

/// A fault of a validator's disk, as the daemon's storage meets it
/// (docs/validator.md, "Files"). The simulator keeps each node's durable
/// state as `PersistentState`; these faults decide what of a turn's records
/// reach it and whether the node can start again.
public enum StorageFault: String, CaseIterable, Sendable {
    /// Power lost during a turn's group commit: the records appended since
    /// the last sync marker are dropped at restart, or (marker and pages
    /// all written) kept whole; nothing of the turn was sent, because the
    /// daemon sends only after `fdatasync` returns.
    case tornWrite = "torn-write"
    /// `fdatasync` failed: the daemon sends nothing of the turn and nothing
    /// after it, and is restarted by its operator; the disk holds the batch
    /// whole or not at all (its marker decides).
    case failedSync = "failed-sync"
    /// A bit flipped in a synced record before the last batch: the daemon
    /// refuses to start (naming file and offset) and the validator stays
    /// down until an operator restores it, which the simulator does not do.
    case corruptLog = "corrupt-log"
}

extension Simulation {
    /// Whether one more validator may be lost for good (a corrupt log)
    /// without leaving more faulty validators than the quorum tolerates.
    var faultBudgetLeft: Bool {
        let faulty = Set(nodes.filter { !$0.honest || $0.refusesToStart }.map(\.id)).count
        return faulty < (config.validators - 1) / 3
    }

    /// With `storageFaultProbabilityPerStep`, one storage fault on a running
    /// honest validator (draws from their own generator, so a seed without
    /// storage faults replays exactly as before they existed).
    func injectStorageFault() {
        guard storageFaultProbabilityPerStep > 0,
              Double.random(in: 0..<1, using: &storageRandom) < storageFaultProbabilityPerStep else { return }
        var candidates = nodes.indices.filter { nodes[$0].honest && isRunning($0) && nodes[$0].pendingStorageFault == nil }
        // The modelled bug (a turn sent before its records were durable,
        // then lost to power) shows where a lost record matters most: a
        // leader's proposal, whose mark keeps it from proposing another
        // block at that view and height after a restart.
        if storageFaultsSendFirst { candidates = candidates.filter { nodes[$0].replica.map { $0.leader == $0.localID } ?? false } }
        guard let victim = candidates.randomElement(using: &storageRandom),
              var fault = StorageFault.allCases.randomElement(using: &storageRandom) else { return }
        if fault == .corruptLog, !faultBudgetLeft { fault = .tornWrite }
        if storageFaultsSendFirst { fault = .tornWrite }
        schedule(fault, on: victim, sendingFirst: storageFaultsSendFirst, durable: storageFaultsSendFirst ? false : nil)
    }

    /// Makes `fault` happen to node `index`: a corrupt log at once, a torn
    /// write or failed sync on its next turn that writes anything (with
    /// `sendingFirst`, its next turn that proposes).
    /// `durable` fixes whether that turn's records reach the disk (random
    /// when nil).
    func schedule(_ fault: StorageFault, on index: Int, sendingFirst: Bool, durable: Bool?) {
        switch fault {
        case .corruptLog:
            nodes[index].refusesToStart = true
            crash(index, forMs: Int64.max / 4)
            result.notes[fault.rawValue, default: 0] += 1
        case .tornWrite, .failedSync:
            nodes[index].pendingStorageFault = PendingStorageFault(fault: fault, sendingFirst: sendingFirst, durable: durable, onProposal: sendingFirst)
        }
    }

    /// The turn a torn write or failed sync hits, instead of `handle`: all
    /// of its records reach the disk or none, none of its messages leave
    /// (unless the test-only `sendingFirst` models a daemon that sends
    /// before its writes are durable), and the node goes down.
    /// Returns false (nothing done) for a turn that writes nothing.
    func handleFaultedTurn(_ actions: [Replica.Action], from index: Int, _ pending: PendingStorageFault) -> Bool {
        let records = actions.compactMap { action -> PersistRecord? in
            if case let .persist(record) = action { return record }
            return nil
        }
        guard !records.isEmpty else { return false }
        if pending.onProposal, !records.contains(where: { if case .proposed = $0 { return true } else { return false } }) { return false }
        nodes[index].pendingStorageFault = nil
        let isSend = { (action: Replica.Action) -> Bool in
            switch action {
            case .broadcast, .send: return true
            default: return false
            }
        }
        if pending.durable ?? Bool.random(using: &storageRandom) {
            // On the disk: what the turn committed is committed (the checker
            // sees it), though none of its messages left.
            handle(actions.filter { !isSend($0) }, from: index)
        }
        if pending.sendingFirst {
            handle(actions.filter(isSend), from: index)
        }
        result.notes[pending.fault.rawValue, default: 0] += 1
        // Power comes back within seconds; a daemon that exited on a failed
        // sync waits for its operator (or its pod's restart back-off).
        let downMs: ClosedRange<Int64> = pending.fault == .failedSync ? 5_000...20_000 : 200...3_000
        crash(index, forMs: Int64.random(in: downMs, using: &storageRandom))
        return true
    }

    /// Storage faults at random moments from now on (scenarios), at this
    /// probability per step; 0 stops them. `sendingFirst` models a daemon
    /// that sends a turn's messages before its records are durable (and
    /// then loses them): the bug the checker must catch.
    public func injectStorageFaults(probabilityPerStep: Double, sendingFirst: Bool = false) {
        storageFaultProbabilityPerStep = probabilityPerStep
        storageFaultsSendFirst = sendingFirst
        afterStep = probabilityPerStep > 0 ? { $0.injectStorageFault() } : nil
    }

    /// How many storage faults of `kind` happened.
    public func storageFaults(_ kind: StorageFault) -> Int { result.notes[kind.rawValue] ?? 0 }

    /// Whether validator `id` refuses to start (a corrupt log).
    public func refusesToStart(_ id: ValidatorID) -> Bool { nodes[index(of: id)].refusesToStart }
}

/// A torn write or failed sync waiting for the node's next turn that writes.
struct PendingStorageFault {
    let fault: StorageFault
    let sendingFirst: Bool
    let durable: Bool?
    /// Waits for a turn in which the node proposes.
    let onProposal: Bool
}
