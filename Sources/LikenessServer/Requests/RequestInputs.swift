import Foundation
import HTTPTypes
import Hummingbird
import LikenessGovernance

extension Request {
    /// A JSON body decoded into `T`, with decoding failures reported against the field at fault.
    /// Only `application/json` is read: a form or `text/plain` body is what a cross-site page can
    /// post without a preflight (a login CSRF, say), so it is refused with 415.
    func decodeJSON<T: Decodable>(_ type: T.Type) async throws -> T {
        let mediaType = headers[.contentType]?.split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased()
        guard mediaType == "application/json" else {
            throw HTTPError(.unsupportedMediaType, message: "send the body as Content-Type: application/json")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await body.collect(upTo: Limits.formBytes)
        } catch {
            throw GovernanceError.invalid(FieldErrors("body", "larger than \(Limits.formBytes >> 10) KB"))
        }
        return try Self.decodeJSON(type, from: Data(buffer: buffer))
    }

    /// A JSON body already read, decoded into `T`. Apart from reading so that the fuzz target
    /// (Fuzz/Sources/FuzzJSONBodies) can drive it without a request.
    static func decodeJSON<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = Query.date(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "a date or time in ISO 8601"))
            }
            return date
        }
        do {
            return try decoder.decode(T.self, from: data)
        } catch let error as DecodingError {
            throw GovernanceError.invalid(Self.fieldErrors(error))
        }
    }

    static func fieldErrors(_ error: DecodingError) -> FieldErrors {
        func path(_ codingPath: [any CodingKey]) -> String {
            codingPath.isEmpty ? "body" : codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .keyNotFound(let key, let context): return FieldErrors(path(context.codingPath + [key]), "required")
        case .valueNotFound(_, let context): return FieldErrors(path(context.codingPath), "required")
        case .typeMismatch(let type, let context):
            return FieldErrors(path(context.codingPath), context.codingPath.isEmpty ? "not a JSON object" : "must be \(Self.typeName(type))")
        case .dataCorrupted(let context):
            return FieldErrors(path(context.codingPath), context.codingPath.isEmpty ? "not valid JSON" : context.debugDescription)
        @unknown default: return FieldErrors("body", "not valid")
        }
    }

    static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Int64.Type: "an integer"
        case is Bool.Type: "true or false"
        default: "\(type)"
        }
    }
}

/// Query-string parameters.
enum Query {
    /// A calendar date (YYYY-MM-DD, as midnight UTC) or an RFC 3339 time, strictly: no
    /// out-of-range fields, no trailing text, no day that rolls over into the next month.
    static func date(_ text: String) -> Date? {
        let pattern = #/^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-]\d{2}:\d{2}))?$/#
        guard let match = text.wholeMatch(of: pattern),
              let year = Int(match.1), let month = Int(match.2), let day = Int(match.3),
              let midnight = Calendar.utc.date(from: DateComponents(year: year, month: month, day: day)) else { return nil }
        let back = Calendar.utc.dateComponents([.year, .month, .day], from: midnight)
        guard back.year == year, back.month == month, back.day == day else { return nil }
        guard let hour = match.4.flatMap({ Int($0) }), let minute = match.5.flatMap({ Int($0) }),
              let second = match.6.flatMap({ Int($0) }), let zone = match.8 else { return midnight }
        guard hour < 24, minute < 60, second < 60 else { return nil }
        var offset = 0
        if zone != "Z" {
            let sign = zone.hasPrefix("-") ? -1 : 1
            let parts = zone.dropFirst().split(separator: ":").compactMap { Int($0) }
            guard parts.count == 2, parts[0] < 24, parts[1] < 60 else { return nil }
            offset = sign * (parts[0] * 3600 + parts[1] * 60)
        }
        let fraction = match.7.flatMap { Double("0" + $0) } ?? 0
        return midnight.addingTimeInterval(Double(hour * 3600 + minute * 60 + second - offset) + fraction)
    }

    static func date(_ request: Request, _ name: String) throws(GovernanceError) -> Date? {
        guard let text = request.uri.queryParameters[Substring(name)].map(String.init), !text.isEmpty else { return nil }
        guard let date = date(text) else { throw .invalid(FieldErrors(name, "a date (YYYY-MM-DD) or time in ISO 8601")) }
        return date
    }

    static func integer(_ request: Request, _ name: String, in range: ClosedRange<Int>) throws(GovernanceError) -> Int? {
        guard let text = request.uri.queryParameters[Substring(name)], !text.isEmpty else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw .invalid(FieldErrors(name, "an integer from \(range.lowerBound) to \(range.upperBound)"))
        }
        return value
    }

    static func string(_ request: Request, _ name: String) -> String? {
        request.uri.queryParameters[Substring(name)].map(String.init)
    }
}

extension AppRequestContext {
    /// A numeric path parameter, or 404 naming it.
    func id(_ name: String = "id") throws(GovernanceError) -> Int64 {
        guard let value = parameters.get(name, as: Int64.self) else { throw .notFound("\(name) must be a number") }
        return value
    }
}
