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

    /// The first start writes the administrator's one-time password to a file of mode 0600,
    /// not to its output (a service's journal); it signs in once, and a start after the
    /// password was changed removes the file.
    @Test func theFirstAdministratorsPasswordIsWrittenToAPrivateFileNotTheOutput() throws {
        let folder = try Fixtures.scratchDirectory("likeness-first")
        let data = folder.appendingPathComponent("data").path, file = data + "/initial-admin-password"
        func start() throws -> (server: Process, port: Int, output: String) {
            let port = try unusedPort()
            let server = try Subprocess.start(Subprocess.likeness, ["serve", "--port", String(port), "--workers", "1", "--data", data])
            let pipe = (server.standardOutput as! Pipe).fileHandleForReading
            var lines: [String] = []
            repeat { lines.append(pipe.availableLine()) } while !lines.last!.isEmpty && !lines.last!.hasPrefix("Likeness is serving")
            return (server, port, lines.joined(separator: "\n"))
        }
        func stop(_ server: Process) {
            server.terminate()
            server.waitUntilExit()
        }
        func post(_ port: Int, _ path: String, _ body: String, cookie: String? = nil, csrf: String? = nil) throws -> String {
            var arguments = ["-sS", "-D", "-", "-H", "Content-Type: application/json", "--data", body]
            if let cookie, let csrf { arguments += ["-H", "Cookie: \(cookie)", "-H", "X-CSRF-Token: \(csrf)"] }
            return try Subprocess.run("/usr/bin/curl", arguments + ["http://127.0.0.1:\(port)\(path)"]).stdout
        }

        let first = try start()
        let password = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(password.count == 20)
        #expect(first.output.contains(file) && !first.output.contains(password), "\(first.output)")
        #expect(try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int == 0o600)
        let signedIn = try post(first.port, "/api/v1/session", #"{"username": "admin", "password": "\#(password)"}"#)
        #expect(signedIn.hasPrefix("HTTP/1.1 200"), "\(signedIn)")
        let cookie = try #require(signedIn.split(separator: "\r\n").first { $0.lowercased().hasPrefix("set-cookie:") })
            .dropFirst("set-cookie: ".count).split(separator: ";")[0]
        let csrf = try #require(signedIn.split(separator: "\"csrf_token\":\"").dropFirst().first?.split(separator: "\"").first)
        let changed = try post(first.port, "/api/v1/me/password",
                               #"{"current_password": "\#(password)", "new_password": "a password of my own choosing"}"#,
                               cookie: String(cookie), csrf: String(csrf))
        #expect(changed.hasPrefix("HTTP/1.1 2"), "\(changed)")
        stop(first.server)

        let second = try start()
        defer { stop(second.server) }
        #expect(!FileManager.default.fileExists(atPath: file), "\(second.output)")
    }
}
