import ConsensusCore

/// Watches every honest replica's commits and fails on the first violation:
/// two honest replicas committing different blocks at one height, a
/// transaction nobody submitted, a transaction committed twice, or a commit
/// certificate that does not verify.
struct SimulationChecker {
    let validatorSet: ValidatorSet
    let crypto = SimulatedCrypto()
    private(set) var canonical: [Hash32] = []
    private(set) var committedTransactions = Set<Hash32>()
    private(set) var violation: String?

    init(validatorSet: ValidatorSet) {
        self.validatorSet = validatorSet
    }

    var height: Int { canonical.count }

    mutating func observe(_ block: CommittedBlock, by node: ValidatorID, submitted: Set<Hash32>) {
        guard violation == nil else { return }
        let index = Int(block.height) - 1
        if index < canonical.count {
            if canonical[index] != block.blockHash {
                violation = "agreement: validator \(node) committed \(block.blockHash.short) at height \(block.height), others committed \(canonical[index].short)"
            }
            return
        }
        guard index == canonical.count else {
            violation = "validator \(node) committed height \(block.height) before height \(canonical.count + 1)"
            return
        }
        guard block.isValid(in: validatorSet, crypto: crypto) else {
            violation = "validator \(node) committed height \(block.height) with a certificate that does not verify"
            return
        }
        for transaction in block.block.transactions {
            guard submitted.contains(transaction.id) else {
                violation = "validity: height \(block.height) commits transaction \(transaction.id.short), which no client submitted"
                return
            }
            guard committedTransactions.insert(transaction.id).inserted else {
                violation = "integrity: transaction \(transaction.id.short) committed twice (again at height \(block.height))"
                return
            }
        }
        canonical.append(block.blockHash)
    }
}
