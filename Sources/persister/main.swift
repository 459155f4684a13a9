import Wire

print("persister \(CyberMeshVersion.current)")
