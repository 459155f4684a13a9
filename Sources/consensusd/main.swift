import Wire

print("consensusd \(CyberMeshVersion.current)")
