import Foundation

/// How the API's answers and the CLI's `--json` lines are written: snake_case keys, sorted, and
/// slashes left alone (paths and URLs are common in them). A value that cannot be encoded
/// throws: it is never written as an empty object.
public enum ResponseJSON {
    public static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static func data(_ value: some Encodable) throws -> Data {
        try encoder().encode(value)
    }

    /// One JSON object on one line.
    public static func line(_ value: some Encodable) throws -> String {
        String(decoding: try data(value), as: UTF8.self)
    }
}

/// An optional written as `null` when absent. Synthesised `Encodable` leaves an absent optional
/// out, but the API's schemas (and the CLI's documented lines) name these keys with a null value.
@propertyWrapper
public struct Nullable<Value: Encodable & Sendable>: Encodable, Sendable {
    public var wrappedValue: Value?

    public init(wrappedValue: Value?) {
        self.wrappedValue = wrappedValue
    }

    public func encode(to encoder: any Encoder) throws {
        try wrappedValue.encode(to: encoder)
    }
}

/// Distances and similarities are written to 4 places, times in a video to 2: enough to tell
/// candidates apart or find the frame, without the noise of the float behind them.
func rounded(_ value: Double, places: Int) -> Double {
    let scale = pow(10, Double(places))
    return (value * scale).rounded() / scale
}

/// An RFC 9457 problem (the `Problem` schema): what went wrong, and for an invalid request each
/// field at fault.
public struct ProblemResponse: Encodable, Sendable {
    public struct FieldError: Encodable, Sendable {
        public var field: String
        public var detail: String
    }

    public var type = "about:blank"
    public var title: String
    public var status: Int
    public var detail: String
    /// Left out unless fields are at fault.
    public var errors: [FieldError]?

    public init(title: String, status: Int, detail: String, fields: [(field: String, detail: String)]) {
        self.title = title
        self.status = status
        self.detail = detail
        errors = fields.isEmpty ? nil : fields.map { FieldError(field: $0.field, detail: $0.detail) }
    }
}
