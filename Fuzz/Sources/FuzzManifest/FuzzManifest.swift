import Foundation
import LikenessIngest

/// libFuzzer's entry point for ingest manifests: the input is written as a CSV and as a JSONL
/// manifest and each is read as `likeness ingest` reads one (`IngestInputs`: `Manifest`'s
/// parsers, then each row's path or URL). Nothing is fetched or opened: the items are only made.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzManifest(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Data(bytes: data, count: count)
    for manifest in [scratch.appendingPathComponent("manifest.csv"), scratch.appendingPathComponent("manifest.jsonl")] {
        do {
            try bytes.write(to: manifest)
            for _ in try IngestInputs([manifest.path]) {}
        } catch {
            fatalError("the scratch manifest \(manifest.path) cannot be written or found: \(error)")
        }
    }
    return 0
}

/// One folder per process (libFuzzer's -fork and -jobs run several), in $TMPDIR: run.sh points
/// that at a folder of its own, and removes it.
private let scratch: URL = {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-fuzz-manifest-\(getpid())")
    try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}()
