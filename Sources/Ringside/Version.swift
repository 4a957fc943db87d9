// Not listed in the DocC catalog: Swift 6.3's symbol-graph extractor leaves out
// a type named after its module plus `Version`, so DocC cannot link it.

/// The release of Ringside this library was built from.
public enum RingsideVersion {
    /// The version as `MAJOR.MINOR.PATCH` (semantic versioning), e.g. `"0.2.0"`:
    /// what `ringside --version` prints. Changed by hand at each release.
    public static let current = "0.2.0"
}
