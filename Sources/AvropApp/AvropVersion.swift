/// The program's version.
public enum AvropVersion {
    public static let current = "0.1.0"
}
