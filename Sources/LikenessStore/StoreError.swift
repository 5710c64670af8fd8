/// Why the store, or a file kept beside it, could not do what was asked. Each case says what
/// the server answers with it.
public enum StoreError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A name that must be unique is taken, or the target of a move already holds data: 409.
    case conflict(String)
    /// The call breaks the store's rules (a value out of range, a state change out of order,
    /// a malformed address): 422.
    case invalid(String)
    /// The database, or a file the store needs (a key), cannot be reached, opened or written
    /// now; trying again later may work: 503.
    case unavailable(String)
    /// What is stored is not what it should be: a damaged key file, a value of the wrong type
    /// or size, a schema from another version: 500.
    case damaged(String)

    public var description: String {
        switch self {
        case .conflict(let message), .invalid(let message), .unavailable(let message), .damaged(let message): message
        }
    }
}
