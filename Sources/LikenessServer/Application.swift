import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTLS
import LikenessCore
import LikenessEngine
import LikenessGallery
import LikenessGovernance
import LikenessSearch
import LikenessStore
import Logging
import ServiceLifecycle

/// Everything the HTTP layer needs, made once at start-up by the composition root (`serve`, or
/// a test), which chooses the store, the index and the engines behind them.
public struct ServerServices: Sendable {
    public let gallery: Gallery
    public let accounts: Accounts
    public let search: AccountableSearch
    public let uploads: Uploads
    public let requests: SubjectRequests
    public let cases: Cases
    public let training: Training
    public let reviews: Reviews
    public let bands: BandThresholds
    let metrics: ServerMetrics
    let pages: Pages

    public var governance: any GovernanceStore { gallery.store }

    public init(gallery: Gallery, accounts: Accounts, search: AccountableSearch, requests: SubjectRequests,
                uploads: Uploads, bands: BandThresholds) async throws {
        self.gallery = gallery
        self.accounts = accounts
        self.search = search
        self.requests = requests
        cases = search.cases
        training = search.training
        reviews = search.reviews
        self.uploads = uploads
        self.bands = bands
        metrics = ServerMetrics()
        pages = try await Pages()
    }
}

public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Set when a TLS proxy fronts the server.
    public var behindTLS: Bool
    /// The server's own certificate and key, when it serves HTTPS itself.
    public var tls: TLSConfiguration?
    /// Proxies whose forwarding header names the client (its address is what the sign-in and
    /// privacy-request limits count, and what the audit records); none by default.
    public var trustedProxies: TrustedProxies
    /// Where a line per request goes, if anywhere.
    public var requestLog: RequestLog?

    public init(host: String = "127.0.0.1", port: Int = 8080, behindTLS: Bool = false, tls: TLSConfiguration? = nil,
                trustedProxies: TrustedProxies = .none, requestLog: RequestLog? = nil) {
        self.host = host
        self.port = port
        self.behindTLS = behindTLS
        self.tls = tls
        self.trustedProxies = trustedProxies
        self.requestLog = requestLog
    }

    /// Whether browsers reach the server over HTTPS (its own, or a proxy's): cookies are then
    /// marked Secure and responses carry Strict-Transport-Security.
    public var servesHTTPS: Bool { behindTLS || tls != nil }
}

/// Upload and body limits, in one place.
enum Limits {
    /// A probe photo.
    static let probeBytes = 20 << 20
    /// A selfie sent to the public privacy page.
    static let selfieBytes = 10 << 20
    /// One upload of images or a zip into a collection.
    static let uploadBytes = 512 << 20
    /// JSON and form bodies.
    static let formBytes = 64 << 10
}

public enum LikenessServer {
    public static func router(services: ServerServices, configuration: ServerConfiguration) -> Router<AppRequestContext> {
        let router = Router(context: AppRequestContext.self)
        router.add(middleware: ClientAddressMiddleware(proxies: configuration.trustedProxies))
        router.add(middleware: RequestMetricsMiddleware(metrics: services.metrics))
        router.add(middleware: SecurityHeadersMiddleware(strictTransportSecurity: configuration.servesHTTPS))
        router.add(middleware: ProblemMiddleware(pages: services.pages))
        router.add(middleware: AuthenticationMiddleware(accounts: services.accounts))
        if let log = configuration.requestLog { router.add(middleware: RequestLogMiddleware(log: log)) }

        router.get("healthz") { _, _ in
            try Response.json(["status": "ok"])
        }
        router.get("metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                     body: .init(byteBuffer: ByteBuffer(string: services.metrics.render())))
        }
        router.get("openapi.json") { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(bytes: OpenAPIDocument.bytes)))
        }
        router.get("static/app.css") { _, _ in Response.bytes(services.pages.stylesheet, contentType: "text/css", cache: "max-age=3600") }
        router.get("static/app.js") { _, _ in Response.bytes(services.pages.script, contentType: "text/javascript", cache: "max-age=3600") }
        // The cookie's CSRF check belongs to the route group, so that every spelling of a path
        // the router matches passes through it.
        let api = router.group("api/v1").add(middleware: CookieCSRFMiddleware())
        api.addRoutes(SessionsAPIController(services: services, configuration: configuration).endpoints)
            .addRoutes(PasswordsAPIController(services: services).endpoints)
            .addRoutes(SearchAPIController(services: services).endpoints)
            .addRoutes(SearchResultsAPIController(services: services).endpoints)
            .addRoutes(CollectionsAPIController(services: services).endpoints)
            .addRoutes(AccountsAPIController(services: services).endpoints)
            .addRoutes(OversightAPIController(services: services).endpoints)
            .addRoutes(CasesAPIController(services: services).endpoints)
            .addRoutes(ReviewsAPIController(services: services).endpoints)
            .addRoutes(WatchesAPIController(services: services).endpoints)
        router.addRoutes(SessionsWebController(services: services, configuration: configuration).endpoints)
            .addRoutes(PasswordsWebController(services: services).endpoints)
            .addRoutes(SearchWebController(services: services).endpoints)
            .addRoutes(CollectionsWebController(services: services).endpoints)
            .addRoutes(AccountsWebController(services: services).endpoints)
            .addRoutes(OversightWebController(services: services).endpoints)
            .addRoutes(CasesWebController(services: services).endpoints)
            .addRoutes(ReviewsWebController(services: services).endpoints)
            .addRoutes(WatchesWebController(services: services).endpoints)
            .addRoutes(PrivacyRequestsWebController(services: services, configuration: configuration).endpoints)
        return router
    }

    /// The HTTP server, with `background` services (the store's connections, the sweeps) in its
    /// service group: started with it, and shut down gracefully after it stops taking requests.
    /// `onListening` is told the port once the server takes connections (the one the system
    /// chose, for port 0).
    public static func application(services: ServerServices, configuration: ServerConfiguration, background: [any Service] = [],
                                   logger: Logger = Logger(label: "likeness"),
                                   onListening: @escaping @Sendable (_ port: Int) async -> Void = { _ in }) throws -> some ApplicationProtocol {
        Application(router: router(services: services, configuration: configuration),
                    server: try configuration.tls.map { try .tls(.http1(), tlsConfiguration: $0) } ?? .http1(),
                    configuration: .init(address: .hostname(configuration.host, port: configuration.port),
                                         serverName: "likeness"),
                    services: background,
                    onServerRunning: { channel in await onListening(channel.localAddress?.port ?? configuration.port) },
                    logger: logger)
    }
}
