import Foundation
import HTTPTypes
import Hummingbird
import LikenessGovernance

/// A submitted form or multipart body: its text fields, and its files in order.
struct FormBody: Sendable {
    var fields: [String: String] = [:]
    var files: [UploadedFile] = []

    subscript(_ name: String) -> String? { fields[name] }

    func file(_ name: String) -> UploadedFile? { files.first { $0.field == name } }

    /// An optional integer field, named in the error when it is not one.
    func integer(_ name: String, in range: ClosedRange<Int>) throws(GovernanceError) -> Int? {
        guard let text = fields[name]?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw .invalid(FieldErrors(name, "an integer from \(range.lowerBound) to \(range.upperBound)"))
        }
        return value
    }

    /// Web forms carry the session's CSRF token (or, before sign-in, the pre-session cookie's).
    func checkCSRF(expected: String?) throws(GovernanceError) {
        guard let expected, let sent = fields["csrf_token"], sent == expected else {
            throw .forbidden("the form's security token is missing or stale: reload the page and try again")
        }
    }
}

struct UploadedFile: Sendable {
    var field: String
    var filename: String
    var contentType: String?
    /// A slice of the request body's buffer (not a copy: see MultipartForm).
    var content: ByteBuffer

    /// The content as an array: a copy, for the small files (probes, selfies) read as one.
    var bytes: [UInt8] { Array(buffer: content) }
}

extension Request {
    /// A form posted by a signed-in user, its CSRF token checked.
    func signedInForm(_ context: AppRequestContext, limit: Int = Limits.formBytes) async throws -> (Accounts.Caller, FormBody) {
        let caller = try context.requireCaller()
        let form = try await self.form(limit: limit)
        try form.checkCSRF(expected: context.csrfToken)
        return (caller, form)
    }

    /// Reads an `application/x-www-form-urlencoded` or `multipart/form-data` body of at most `limit` bytes.
    /// A body whose declared length is over the limit is refused before any of it is read.
    func form(limit: Int) async throws -> FormBody {
        let tooLarge = GovernanceError.invalid(FieldErrors(
            "body", "larger than the limit of \(limit >> 20 > 0 ? "\(limit >> 20) MB" : "\(limit >> 10) KB")"))
        if let declared = headers[.contentLength].flatMap(Int.init), declared > limit { throw tooLarge }
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: limit)
        } catch {
            throw tooLarge
        }
        return try Self.form(contentType: headers[.contentType] ?? "", body: buffer)
    }

    /// A body already read, parsed as its `Content-Type` says. Apart from reading so that the
    /// fuzz target (Fuzz/Sources/FuzzForm) can drive it without a request.
    static func form(contentType: String, body: ByteBuffer) throws(GovernanceError) -> FormBody {
        if contentType.lowercased().hasPrefix("multipart/form-data") {
            guard let boundary = parameter("boundary", in: contentType) else {
                throw .invalid(FieldErrors("body", "multipart/form-data without a boundary"))
            }
            return try MultipartForm.parse(body, boundary: boundary)
        }
        if contentType.lowercased().hasPrefix("application/x-www-form-urlencoded") || contentType.isEmpty {
            return FormBody(fields: urlEncoded(String(buffer: body)))
        }
        throw .invalid(FieldErrors("body", "expected multipart/form-data or a URL-encoded form, not \(contentType)"))
    }

    static func parameter(_ name: String, in header: String) -> String? {
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == name {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }

    static func urlEncoded(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let decode = { (s: Substring) in s.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "" }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
