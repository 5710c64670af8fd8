import Foundation
import LikenessIngest

/// libFuzzer's entry point for uploaded archives: the input is unpacked as an upload is
/// (`UploadFolder.unpack`: libarchive's zip and tar readers and every decompression filter,
/// entry by entry, with its limits), with limits small enough that an archive which expands a
/// thousandfold costs milliseconds rather than gigabytes; the code paths are the same.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzArchive(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    // A name the upload route accepts; libarchive detects the format from the bytes.
    let archive = scratch.appendingPathComponent("upload.tar")
    do {
        try Data(bytes: data, count: count).write(to: archive)
    } catch {
        fatalError("the scratch archive \(archive.path) cannot be written: \(error)")
    }
    if let folder = try? UploadFolder.unpack(archive, limits: limits) {
        try? FileManager.default.removeItem(at: folder)
    }
    // unpack removes the archive when it succeeds, and the folder it unpacked into when it fails.
    try? FileManager.default.removeItem(at: archive)
    return 0
}

private let limits: UploadFolder.Limits = {
    var limits = UploadFolder.Limits()
    limits.entries = 100
    limits.imageBytes = 1 << 20
    limits.videoBytes = 1 << 20
    limits.totalBytes = 2 << 20
    return limits
}()

/// One folder per process (libFuzzer's -fork and -jobs run several), in $TMPDIR: run.sh points
/// that at a folder of its own, and removes it.
private let scratch: URL = {
    let folder = FileManager.default.temporaryDirectory.appendingPathComponent("likeness-fuzz-archive-\(getpid())")
    try! FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    return folder
}()
