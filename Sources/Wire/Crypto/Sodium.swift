import CSodium

/// The one place libsodium is initialised. `sodium_init` is idempotent and
/// thread-safe after its first call; a Swift global is initialised exactly
/// once, so every entry point touches `Sodium.ready` first.
enum Sodium {
    static let ready: Bool = {
        let result = sodium_init()
        precondition(result >= 0, "libsodium failed to initialise (sodium_init returned \(result))")
        return true
    }()
}
