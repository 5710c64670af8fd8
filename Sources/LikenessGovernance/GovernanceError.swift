/// Why a request was refused, in terms the server turns into HTTP statuses.
public enum GovernanceError: Error, Sendable, CustomStringConvertible {
    /// No valid session or key, or the wrong password.
    case unauthenticated(String)
    /// Signed in, but the role, account state or organisation does not allow it.
    case forbidden(String)
    /// Absent, or in another organisation (which looks the same from outside).
    case notFound(String)
    case conflict(String)
    case invalid(FieldErrors)
    case tooManyRequests(String, retryAfterSeconds: Int)

    public var description: String {
        switch self {
        case .unauthenticated(let message), .forbidden(let message), .notFound(let message), .conflict(let message):
            message
        case .invalid(let errors): errors.description
        case .tooManyRequests(let message, _): message
        }
    }
}
