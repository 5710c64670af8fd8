import Foundation
import Hummingbird
import LikenessGovernance
import NIOCore

/// RFC 7578 `multipart/form-data`, parsed from a body already in memory (its size is capped
/// before it is read). Written here rather than taken from MultipartKit 4, whose parser
/// crashes the process on a part-header byte ≥ 0x80: schemathesis found that, and an
/// anonymous sign-in form could reach it.
///
/// Each file's content is a slice of the body's buffer, not a copy: a 500 MB upload copied
/// once into an array and again into its part took the body's size three times over, which
/// ended a server under a 2 GiB address-space cap (scripts/test/bombs.sh).
enum MultipartForm {
    static let maxParts = 1000

    static func parse(_ body: ByteBuffer, boundary: String) throws(GovernanceError) -> FormBody {
        guard (1...70).contains(boundary.utf8.count) else { throw malformed("the boundary must be 1 to 70 characters") }
        let delimiter = Array(("--" + boundary).utf8)
        let crlf: [UInt8] = [13, 10]
        let bytes = body.readableBytesView
        func byte(_ offset: Int) -> UInt8 { bytes[bytes.startIndex + offset] }
        var form = FormBody()
        guard var position = find(delimiter, in: body, from: 0) else { throw malformed("no part starts with the boundary") }
        var parts = 0
        while true {
            let afterDelimiter = position + delimiter.count
            if bytes.count >= afterDelimiter + 2, byte(afterDelimiter) == 45, byte(afterDelimiter + 1) == 45 { break }  // "--": the end
            guard bytes.count >= afterDelimiter + 2, byte(afterDelimiter) == 13, byte(afterDelimiter + 1) == 10 else {
                throw malformed("a boundary is not followed by a line break")
            }
            parts += 1
            guard parts <= maxParts else { throw malformed("more than \(maxParts) parts") }
            let headerStart = afterDelimiter + 2
            guard let headerEnd = find(crlf + crlf, in: body, from: headerStart) else { throw malformed("a part's headers never end") }
            guard let next = find(crlf + delimiter, in: body, from: headerEnd + 4) else {
                throw malformed("the body ends before its closing boundary")
            }
            let headers = bytes[(bytes.startIndex + headerStart)..<(bytes.startIndex + headerEnd)]
            let content = body.getSlice(at: body.readerIndex + headerEnd + 4, length: next - headerEnd - 4)!
            try add(headers: headers, content: content, to: &form)
            position = next + 2
        }
        return form
    }

    private static func add(headers raw: ByteBufferView.SubSequence, content: ByteBuffer, to form: inout FormBody) throws(GovernanceError) {
        var headers: [String: String] = [:]
        for line in String(decoding: raw, as: UTF8.self).components(separatedBy: "\r\n") where !line.isEmpty {
            guard let colon = line.firstIndex(of: ":") else { throw malformed("a part header has no ':'") }
            headers[line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()] =
                line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let disposition = headers["content-disposition"] ?? ""
        guard disposition.lowercased().hasPrefix("form-data"), let name = Request.parameter("name", in: disposition) else {
            throw malformed("a part has no 'Content-Disposition: form-data; name=…'")
        }
        if let filename = Request.parameter("filename", in: disposition) {
            form.files.append(UploadedFile(field: name, filename: filename, contentType: headers["content-type"], content: content))
        } else {
            form.fields[name] = String(buffer: content)
        }
    }

    /// The first offset of `needle` in `haystack`'s readable bytes at or after `start` (memchr
    /// for the first byte, then memcmp: fast enough for the upload limit's hundreds of megabytes).
    static func find(_ needle: [UInt8], in haystack: ByteBuffer, from start: Int) -> Int? {
        guard !needle.isEmpty, start >= 0 else { return nil }
        return haystack.withUnsafeReadableBytes { hay -> Int? in
            needle.withUnsafeBytes { pattern -> Int? in
                guard let base = hay.baseAddress, let first = pattern.first else { return nil }
                var index = start
                while index + pattern.count <= hay.count {
                    guard let hit = memchr(base + index, Int32(first), hay.count - pattern.count + 1 - index) else { return nil }
                    let found = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(hit, pattern.baseAddress!, pattern.count) == 0 { return found }
                    index = found + 1
                }
                return nil
            }
        }
    }

    private static func malformed(_ detail: String) -> GovernanceError {
        .invalid(FieldErrors("body", "malformed multipart/form-data: \(detail)"))
    }
}
