import Foundation
import Testing
import TestSupport

/// `likeness serve` with its own TLS: HTTPS only on its port, Strict-Transport-Security on
/// every response, and a certificate or key it cannot read refused before anything starts.
@Suite struct ServeCommandTests {
    /// A self-signed certificate for 127.0.0.1 and its key, made by openssl.
    func selfSignedCertificate(in folder: URL) throws -> (certificate: String, key: String) {
        let certificate = folder.appendingPathComponent("cert.pem").path, key = folder.appendingPathComponent("key.pem").path
        let made = try Subprocess.run("/usr/bin/openssl", [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=likeness-test",
            "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", certificate])
        try #require(made.status == 0, "\(made.stderr)")
        return (certificate, key)
    }

    func unusedPort() throws -> Int {
        let script = "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"
        return try #require(Int(try Subprocess.run("/usr/bin/env", ["python3", "-c", script]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)))
    }

    @Test func servesHTTPSWithStrictTransportSecurity() throws {
        let folder = try Fixtures.scratchDirectory("likeness-tls")
        let (certificate, key) = try selfSignedCertificate(in: folder)
        let port = try unusedPort()
        let server = try Subprocess.start(Subprocess.likeness, [
            "serve", "--port", String(port), "--workers", "1", "--tls-cert", certificate, "--tls-key", key,
            "--data", folder.appendingPathComponent("data").path])
        defer {
            server.terminate()
            server.waitUntilExit()
        }
        let output = (server.standardOutput as! Pipe).fileHandleForReading
        var line = ""
        repeat { line = output.availableLine() } while !line.isEmpty && !line.hasPrefix("Likeness is serving")
        try #require(line.hasPrefix("Likeness is serving https://127.0.0.1:\(port)"), "the server did not start: \(line)")

        let secure = try Subprocess.run("/usr/bin/curl", ["-sS", "-D", "-", "-o", "/dev/null", "--cacert", certificate,
                                                         "https://127.0.0.1:\(port)/healthz"])
        #expect(secure.status == 0, "\(secure.stderr)")
        let head = secure.stdout.lowercased()
        #expect(head.hasPrefix("http/1.1 200"), "\(secure.stdout)")
        #expect(head.contains("strict-transport-security: max-age=31536000"), "\(secure.stdout)")
        // The same port does not answer in plain HTTP, and a client that cannot check the
        // certificate is refused by its own TLS.
        #expect(try Subprocess.run("/usr/bin/curl", ["-sS", "--max-time", "10", "http://127.0.0.1:\(port)/healthz"]).status != 0)
        #expect(try Subprocess.run("/usr/bin/curl", ["-sS", "--max-time", "10", "https://127.0.0.1:\(port)/healthz"]).status != 0)
    }

    @Test func aKeyItCannotReadIsRefusedNamingIt() throws {
        let folder = try Fixtures.scratchDirectory("likeness-tls")
        let (certificate, _) = try selfSignedCertificate(in: folder)
        let missing = folder.appendingPathComponent("no-such-key.pem").path
        let refused = try Subprocess.likeness("serve", "--tls-cert", certificate, "--tls-key", missing,
                                              "--data", folder.appendingPathComponent("data").path)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("--tls-key \(missing): not a readable PEM private key"), "\(refused.stderr)")
        let alone = try Subprocess.likeness("serve", "--tls-cert", certificate, "--data", folder.appendingPathComponent("data").path)
        #expect(alone.status != 0 && alone.stderr.contains("--tls-cert and --tls-key go together"), "\(alone.stderr)")
    }
}
