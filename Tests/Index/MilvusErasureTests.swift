import Foundation
import LikenessCore
import LikenessIndex
import LikenessMilvus
import Testing
import TestSupport

/// An erased template leaves Milvus's files, not only its search results: checked on the real
/// Milvus 2.3.5 server that `scripts/test/milvus-server.sh` starts (it names the server's data
/// directory in `LIKENESS_TEST_MILVUS_DATA`, and sets the garbage collection and log retention
/// the README asks of a Milvus that holds faces). milvus-lite has no such files to scan.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["LIKENESS_TEST_MILVUS_DATA"] != nil,
                "needs the Milvus 2.3.5 server of scripts/test/milvus-server.sh"))
struct MilvusErasureTests {
    /// The files under `directory` that hold `bytes`.
    func files(holding bytes: Data, under directory: URL) -> [String] {
        let walker = FileManager.default.enumerator(at: directory, includingPropertiesForKeys: [.isRegularFileKey])
        var found: [String] = []
        while let file = walker?.nextObject() as? URL {
            // Milvus removes files while this reads: a file gone or unreadable holds nothing now.
            guard (try? file.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true,
                  let contents = try? Data(contentsOf: file), contents.range(of: bytes) != nil else { continue }
            found.append(file.path.replacingOccurrences(of: directory.path + "/", with: ""))
        }
        return found
    }

    func bytes(of template: FaceTemplate) -> Data {
        template.values.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    @Test func anErasedTemplateLeavesMilvussFiles() async throws {
        let data = URL(fileURLWithPath: try #require(ProcessInfo.processInfo.environment["LIKENESS_TEST_MILVUS_DATA"]))
        let url = try TestServers.milvusURL() + "/lk_erase_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
        let index = try await MilvusVectorIndex(url: url)
        defer { index.shutdown() }
        // Enough rows for Milvus to build the HNSW graph (from 1,024 a segment), whose files hold
        // the vectors too.
        let templates = TestTemplates.clustered(count: 2_000, seed: 41)
        let entries = TestTemplates.entries(templates)
        try await index.insert(entries, through: 1)
        try await index.sealAndWaitUntilIndexed(timeout: .seconds(600))
        let erased = entries[123], kept = entries[1_234]
        let before = files(holding: bytes(of: erased.template), under: data)
        #expect(!before.isEmpty, "the scan finds a stored template before the erasure")

        try await index.remove([erased.id], through: 2)
        #expect(try await index.nearest(to: erased.template, k: 1, in: nil).first?.id != erased.id)
        // Garbage collection and log retention run on Milvus's own timers (seconds, as the test
        // server is configured): wait for them, within a bound.
        let deadline = ContinuousClock.now + .seconds(240)
        var remaining = files(holding: bytes(of: erased.template), under: data)
        while !remaining.isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .seconds(5))
            remaining = files(holding: bytes(of: erased.template), under: data)
        }
        #expect(remaining.isEmpty, "the erased template is still in \(remaining) (before the erasure: \(before))")
        #expect(!files(holding: bytes(of: kept.template), under: data).isEmpty, "a kept template is still stored")
        #expect(try await index.nearest(to: kept.template, k: 1, in: nil).first?.id == kept.id)
        try await index.drop()
    }
}
