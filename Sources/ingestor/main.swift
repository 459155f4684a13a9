import Wire

print("ingestor \(CyberMeshVersion.current)")
