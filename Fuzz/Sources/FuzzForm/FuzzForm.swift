import Foundation
import Hummingbird
@testable import LikenessServer

/// libFuzzer's entry point for the form bodies every web form and upload is read through
/// (`Request.form(contentType:body:)`: multipart/form-data by `MultipartForm`, else URL-encoded).
/// The input's first line is the `Content-Type` header and the rest is the body, so the fuzzer
/// varies the boundary parameter (its quoting, its length) as well as the parts.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzForm(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let input = UnsafeBufferPointer(start: data, count: count)
    let headerEnd = input.firstIndex(of: UInt8(ascii: "\n")) ?? count
    let contentType = String(decoding: input[..<headerEnd], as: UTF8.self)
    let body = Array(input[min(headerEnd + 1, count)...])
    _ = try? Request.form(contentType: contentType, body: body)
    return 0
}
