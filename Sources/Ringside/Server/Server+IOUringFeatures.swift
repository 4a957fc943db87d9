import IOUring
import Logging

extension Server {
    /// Says which optional io_uring features the workers will use: where a
    /// kernel lacks one (or `RINGSIDE_IO_URING_DISABLE` switches it off) the
    /// engine falls back without a word otherwise, and with direct
    /// descriptors connections do not show in the process's descriptor count.
    static func logIOUringFeatures(_ logger: Logger) {
        let supported = IOUringAvailability.supportedFeatures()
        let disabled = IOUringFeatures.disabledByEnvironment
        logger.info("io_uring features", metadata: [
            "using": "\(supported.subtracting(disabled))",
            "missing": "\(IOUringFeatures.all.subtracting(supported))",
            "switched off": "\(disabled.intersection(supported))",
        ])
    }
}
