import Wire

print("gateway \(CyberMeshVersion.current)")
