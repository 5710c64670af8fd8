import Foundation
import Hummingbird
import LikenessGovernance

/// RFC 7578 `multipart/form-data`, parsed from a body already in memory (its size is capped
/// before it is read). Written here rather than taken from MultipartKit 4, whose parser
/// crashes the process on a part-header byte ≥ 0x80: schemathesis found that, and an
/// anonymous sign-in form could reach it.
enum MultipartForm {
    static let maxParts = 1000

    static func parse(_ body: [UInt8], boundary: String) throws(GovernanceError) -> FormBody {
        guard (1...70).contains(boundary.utf8.count) else { throw malformed("the boundary must be 1 to 70 characters") }
        let delimiter = Array(("--" + boundary).utf8)
        let crlf: [UInt8] = [13, 10]
        var form = FormBody()
        guard var position = find(delimiter, in: body, from: 0) else { throw malformed("no part starts with the boundary") }
        var parts = 0
        while true {
            let afterDelimiter = position + delimiter.count
            if body.count >= afterDelimiter + 2, body[afterDelimiter] == 45, body[afterDelimiter + 1] == 45 { break }  // "--": the end
            guard body.count >= afterDelimiter + 2, body[afterDelimiter] == 13, body[afterDelimiter + 1] == 10 else {
                throw malformed("a boundary is not followed by a line break")
            }
            parts += 1
            guard parts <= maxParts else { throw malformed("more than \(maxParts) parts") }
            let headerStart = afterDelimiter + 2
            guard let headerEnd = find(crlf + crlf, in: body, from: headerStart) else { throw malformed("a part's headers never end") }
            guard let next = find(crlf + delimiter, in: body, from: headerEnd + 4) else {
                throw malformed("the body ends before its closing boundary")
            }
            try add(headers: body[headerStart..<headerEnd], content: Array(body[(headerEnd + 4)..<next]), to: &form)
            position = next + 2
        }
        return form
    }

    private static func add(headers raw: ArraySlice<UInt8>, content: [UInt8], to form: inout FormBody) throws(GovernanceError) {
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
            form.files.append(UploadedFile(field: name, filename: filename, contentType: headers["content-type"], bytes: content))
        } else {
            form.fields[name] = String(decoding: content, as: UTF8.self)
        }
    }

    /// The first index of `needle` in `haystack` at or after `start` (memchr for the first
    /// byte, then memcmp: fast enough for the upload limit's hundreds of megabytes).
    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, start >= 0 else { return nil }
        return haystack.withUnsafeBytes { hay -> Int? in
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
