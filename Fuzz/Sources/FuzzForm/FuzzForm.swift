import Foundation
import Hummingbird
import LikenessIngest
@testable import LikenessServer

/// libFuzzer's entry point for the form bodies every web form and upload is read through
/// (`Request.form(contentType:body:)`: multipart/form-data by `MultipartForm`, else URL-encoded),
/// and for what an upload does with each file's name before anything is saved: the check that
/// it names an image or an archive, and the safe name it is held under.
/// The input's first line is the `Content-Type` header and the rest is the body, so the fuzzer
/// varies the boundary parameter (its quoting, its length) as well as the parts.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzForm(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: count)
    let headerEnd = input.firstIndex(of: UInt8(ascii: "\n")) ?? count
    let contentType = String(decoding: input[..<headerEnd], as: UTF8.self)
    let body = ByteBuffer(bytes: input[min(headerEnd + 1, count)...])
    guard let form = try? Request.form(contentType: contentType, body: body) else { return 0 }
    for file in form.files {
        _ = Uploads.accepts(file.filename)
        _ = UploadFolder.safeName(file.filename)
    }
    return 0
}
