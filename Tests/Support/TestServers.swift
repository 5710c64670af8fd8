import Foundation

/// The throwaway servers `scripts/test/with-backends.sh` starts for the scale-out backends.
public enum TestServers {
    /// `milvus://127.0.0.1:PORT` of a milvus-lite server, from `LIKENESS_TEST_MILVUS`.
    public static func milvusURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment["LIKENESS_TEST_MILVUS"], !url.isEmpty else {
            throw MissingTestServer("LIKENESS_TEST_MILVUS is not set: run the tests through scripts/test/with-backends.sh (make test does), which starts a Milvus server")
        }
        return url
    }
}

public struct MissingTestServer: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
