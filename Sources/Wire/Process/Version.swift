/// The CyberMesh release every executable reports with `--version`.
public enum CyberMeshVersion {
    public static let current = "0.1.0"
}
