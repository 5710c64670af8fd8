import ArgumentParser
import CMalloc
import Foundation
import Hummingbird
import HummingbirdTLS
import LikenessEngine
import LikenessGallery
import LikenessGovernance
import LikenessIngest
import LikenessSearch
import LikenessServer
import LikenessStore
import Logging
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the web UI and the API (/api/v1, described at /openapi.json).",
        discussion: """
            On the first start with no administrator, creates one (in --org, or an organisation \
            named "Likeness") and writes its one-time password to initial-admin-password in the \
            data directory (mode 0600), never to the output; a later start removes the file once \
            the password has been changed.
            """)

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on.") var port = 8080
    @Flag(help: "Mark cookies Secure and send Strict-Transport-Security: set when a TLS proxy fronts the server.")
    var behindTls = false
    @Option(help: ArgumentHelp("Serve HTTPS with this PEM certificate (chain), with --tls-key.", valueName: "file"))
    var tlsCert: String?
    @Option(help: ArgumentHelp("The PEM private key of --tls-cert.", valueName: "file"))
    var tlsKey: String?
    @Option(help: ArgumentHelp("A reverse proxy's address or CIDR range (repeatable): its requests' client is read from --forwarded-header.",
                               valueName: "CIDR"))
    var trustedProxy: [String] = []
    @Option(help: "The header the trusted proxies write the client's address in: x-forwarded-for or forwarded.")
    var forwardedHeader: String = TrustedProxies.Header.xForwardedFor.rawValue
    @Option(help: "Face engines in parallel (default: one per core).") var workers: Int?
    @Option(help: "A line per request on standard output (method, route, status, ms, account): logfmt, json or off.")
    var requestLog = RequestLog.Format.logfmt.rawValue
    @OptionGroup var data: DataOptions

    func validate() throws {
        guard let header = TrustedProxies.Header(rawValue: forwardedHeader.lowercased()) else {
            throw ValidationError("--forwarded-header takes x-forwarded-for or forwarded")
        }
        guard TrustedProxies(trustedProxy, header: header) != nil else {
            throw ValidationError("--trusted-proxy takes an IP address or a CIDR range such as 10.0.0.0/8 or fd00::/8")
        }
        guard (tlsCert == nil) == (tlsKey == nil) else { throw ValidationError("--tls-cert and --tls-key go together") }
        guard requestLog == "off" || RequestLog.Format(rawValue: requestLog) != nil else {
            throw ValidationError("--request-log takes logfmt, json or off")
        }
    }

    /// The server's TLS configuration, read (and checked) before anything else starts.
    func tlsConfiguration() throws -> TLSConfiguration? {
        guard let tlsCert, let tlsKey else { return nil }
        let chain: [NIOSSLCertificate], key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(tlsCert)
        } catch {
            throw UsageFailure("--tls-cert \(tlsCert): not a readable PEM certificate (\(error))")
        }
        guard !chain.isEmpty else { throw UsageFailure("--tls-cert \(tlsCert): holds no certificate") }
        do {
            key = try NIOSSLPrivateKey(file: tlsKey, format: .pem)
        } catch {
            throw UsageFailure("--tls-key \(tlsKey): not a readable PEM private key (\(error))")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                                     privateKey: .privateKey(key))
        configuration.minimumTLSVersion = .tlsv12
        return configuration
    }

    func run() async throws {
        // glibc gives threads that meet in malloc arenas of their own, up to 8 a core, and each
        // arena keeps the memory of its own peak: under `likeness bench soak` the server's heap
        // grew from 423 to 524 MB in four minutes with the memory in use flat (282 → 289 MB).
        // With an arena a core it stayed at 410 MB. glibc's own MALLOC_ARENA_MAX, if set, wins.
        if ProcessInfo.processInfo.environment["MALLOC_ARENA_MAX"] == nil {
            mallopt(M_ARENA_MAX, Int32(ProcessInfo.processInfo.activeProcessorCount))
        }
        try await failingWithExitCode2 {
            let tls = try tlsConfiguration()
            let proxies = TrustedProxies(trustedProxy, header: TrustedProxies.Header(rawValue: forwardedHeader.lowercased()) ?? .xForwardedFor) ?? .none
            let pool = EnginePool(models: try FaceModels.locate(), onnx: try ONNXFaceModels.locate(), size: workers ?? ProcessInfo.processInfo.activeProcessorCount)
            defer { pool.shutdown() }
            let lock = try data.lockEmbeddedDirectory(refusal: "stop it first, or give this one another --data")
            defer { if let lock { close(lock) } }
            let opened = try await data.open()
            let gallery = opened.gallery
            let governance = gallery.store
            let accounts = Accounts(store: governance)
            try await firstStart(accounts: accounts)
            let fetcher = ImageFetcher()
            let uploads = Uploads(gallery: gallery, pool: pool, fetcher: fetcher,
                                  directory: data.directory.uploads, audit: accounts.audit)
            let bands = try await governance.bandThresholds() ?? .standard
            let searcher = FaceSearcher(gallery: gallery, pool: pool, bands: bands,
                                        fusedBands: try await governance.fusedBands() ?? .standard)
            let services = try await ServerServices(
                gallery: gallery, accounts: accounts,
                search: AccountableSearch(searcher: searcher, store: governance, audit: accounts.audit),
                requests: SubjectRequests(governance: governance, rights: SubjectRights(
                    searcher: searcher, gallery: gallery, audit: accounts.audit)),
                uploads: uploads, bands: bands)
            // The audit chain's head is signed on starting, before serving, then every 10
            // minutes when it moved, so that removing or rewriting entries older than that shows
            // (`likeness audit verify`).
            let checkpoints = try AuditCheckpoints(store: governance, directory: data.directory)
            do { try await checkpoints.makeIfHeadMoved() } catch { Output.error("audit checkpoint failed: \(error)") }
            let logger = Logger(label: "likeness")
            let retention = Retention(gallery: gallery, audit: accounts.audit)
            // In start order; the group shuts them down in reverse, after the HTTP server.
            let background: [any Service] = opened.connections + [
                PeriodicService.retention(retention, requests: services.requests, logger: logger),
                PeriodicService.auditCheckpoints(checkpoints, logger: logger),
                PeriodicService.caseDeadlines(services.cases, logger: logger),
                PeriodicService.watches(services.search.watchMatcher, logger: logger),
            ]
            let app = try LikenessServer.application(
                services: services, configuration: ServerConfiguration(host: host, port: port, behindTLS: behindTls, tls: tls,
                                                                 trustedProxies: proxies,
                                                                 requestLog: RequestLog.Format(rawValue: requestLog).map { RequestLog(format: $0) }),
                background: background, logger: logger
            ) { [host, directory = data.directory.root.path] port in
                print("Likeness is serving \(tls == nil ? "http" : "https")://\(host):\(port) (data in \(directory))")
                // At once, so that the address and any one-time password reach a log or a pipe now.
                fflush(nil)
            }
            fflush(nil)
            try await app.runService()
            try? await fetcher.shutdown()
        }
    }

    /// With no administrator anywhere, makes one and writes its one-time password to a file
    /// only this user (and root) can read: a service's output goes to a journal that others read
    /// and that keeps it. Once that password has been changed, the file goes. (The Debian
    /// package makes the administrator at install instead, in a file only root can read.)
    func firstStart(accounts: Accounts) async throws {
        let file = data.directory.initialAdminPassword
        guard let (organization, password) = try await accounts.createFirstAdministrator(organizationName: data.org) else {
            if FileManager.default.fileExists(atPath: file.path), try await !accounts.administrators().contains(where: \.mustChangePassword) {
                try FileManager.default.removeItem(at: file)
                print("Removed \(file.path): the first administrator has chosen their own password.")
            }
            return
        }
        try? FileManager.default.removeItem(at: file)
        let handle = try PrivateFile.create(atPath: file.path)
        try handle.write(contentsOf: Data((password + "\n").utf8))
        try handle.close()
        print("""
            First start: organisation '\(organization.name)' has an administrator, username 'admin'.
            Its one-time password is in \(file.path) (readable by this user only).
            It must be changed at the first sign-in; the next start then removes the file.
            """)
    }
}
