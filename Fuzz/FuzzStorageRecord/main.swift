// libFuzzer target: the decoders of a validator's own files (a WAL record,
// a block store record, a snapshot), which a restart reads from a disk that
// may be damaged or edited. Garbage must be a typed error, never a crash;
// whatever decodes must re-encode and decode to itself.
import ConsensusCore
import FuzzSupport
import Wire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzStorageRecord(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    if let record = try? StorageCodec.decodeWAL(bytes) {
        let encoded = StorageCodec.encodeWAL(record)
        precondition(encoded.map { try? StorageCodec.decodeWAL($0) } == record, "WAL record did not survive re-encoding")
    }
    if let block = try? StorageCodec.decodeBlock(bytes) {
        precondition((try? StorageCodec.decodeBlock(StorageCodec.encodeBlock(block))) == block, "block record did not survive re-encoding")
    }
    if let snapshot = try? StorageCodec.decodeSnapshot(bytes) {
        precondition((try? StorageCodec.decodeSnapshot(StorageCodec.encodeSnapshot(snapshot))) == snapshot, "snapshot did not survive re-encoding")
    }
    return 0
}

@_cdecl("FuzzStorageRecord_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    runLibFuzzer(argc, argv, fuzzStorageRecord)
}
