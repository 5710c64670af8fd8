import Foundation
import LikenessStore

/// Where a PostgreSQL database is, from a URL `postgres://user[:password]@host[:port]/database`
/// (the scheme may also be `postgresql`). The URL takes no options: the connection is plain
/// TCP without TLS, for a database on the same host or a private network.
public struct PostgresLocation: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var username: String
    public var password: String?
    public var database: String

    public init(host: String, port: Int = 5432, username: String, password: String? = nil, database: String) {
        self.host = host
        self.port = port
        self.username = username
        self.password = password
        self.database = database
    }

    public init(url: String) throws {
        // The message never repeats the URL: it may hold a password.
        func refuse(_ problem: String) -> StoreError {
            StoreError.invalid("not a PostgreSQL URL (postgres://user[:password]@host[:port]/database): \(problem)")
        }
        guard let components = URLComponents(string: url) else { throw refuse("it does not parse") }
        guard let scheme = components.scheme, ["postgres", "postgresql"].contains(scheme.lowercased()) else {
            throw refuse("the scheme is not postgres")
        }
        guard components.query == nil, components.fragment == nil else { throw refuse("options are not supported") }
        guard let host = components.host, !host.isEmpty else { throw refuse("no host") }
        guard let username = components.user, !username.isEmpty else { throw refuse("no user") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else { throw refuse("no database name") }
        self.init(host: host, port: components.port ?? 5432, username: username, password: components.password,
                  database: database)
    }

    /// The same server with another database.
    public func database(_ name: String) -> PostgresLocation {
        var location = self
        location.database = name
        return location
    }

    /// The URL, with the password if there is one.
    public var url: String {
        var components = URLComponents()
        components.scheme = "postgres"
        components.user = username
        components.password = password
        components.host = host
        components.port = port
        components.path = "/" + database
        return components.string!
    }

    /// The URL without the password, for messages and logs.
    public var description: String {
        var location = self
        location.password = nil
        return location.url
    }
}
