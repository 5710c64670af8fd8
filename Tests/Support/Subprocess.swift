import Foundation

/// Runs programs for tests: the `likeness` binary and small servers.
public enum Subprocess {
    public struct Result {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// The `likeness` executable built beside the test bundle.
    public static var likeness: String {
        let besideTests = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent("likeness").path
        if FileManager.default.isExecutableFile(atPath: besideTests) { return besideTests }
        return Fixtures.root.deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent(".build/debug/likeness").path
    }

    /// Runs to the end; `input`, if any, is its standard input.
    public static func run(_ executable: String, _ arguments: [String], input: String? = nil) throws -> Result {
        let process = try start(executable, arguments, input: input)
        let out = (process.standardOutput as! Pipe).fileHandleForReading
        let err = (process.standardError as! Pipe).fileHandleForReading
        // Read both pipes while the process runs so neither fills up and blocks it.
        nonisolated(unsafe) var errData = Data()
        let errReader = Thread { errData = drain(err) }
        errReader.start()
        let outData = drain(out)
        process.waitUntilExit()
        while !errReader.isFinished { usleep(1000) }
        return Result(status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
                      stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Everything until end of file. `FileHandle.readDataToEndOfFile` traps on EINTR, which a
    /// signal to the test process (a child's exit, under load) can cause; this reads again.
    static func drain(_ handle: FileHandle) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(handle.fileDescriptor, $0.baseAddress, $0.count) }
            if count > 0 { data.append(contentsOf: buffer[0..<count]) } else if count == 0 || errno != EINTR { return data }
        }
    }

    public static func start(_ executable: String, _ arguments: [String], input: String? = nil) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = Pipe()
        process.standardError = Pipe()
        let stdin = input.map { _ in Pipe() }
        process.standardInput = stdin ?? FileHandle.nullDevice
        try process.run()
        if let stdin, let input {
            // Small (a line or two): it fits in the pipe's buffer, so this never waits on the child.
            try stdin.fileHandleForWriting.write(contentsOf: Data(input.utf8))
            try stdin.fileHandleForWriting.close()
        }
        return process
    }

    public static func likeness(_ arguments: String...) throws -> Result {
        try run(likeness, arguments)
    }

    public static func likeness(_ arguments: [String]) throws -> Result {
        try run(likeness, arguments)
    }
}

/// A static file server on 127.0.0.1 (Python's http.server), for manifest URL tests.
public final class TestHTTPServer {
    public let port: Int
    private let process: Process

    public init(serving directory: URL) throws {
        // The server ends itself once the test process is gone: a test process that exits
        // without releasing this object never runs its deinit.
        let script = """
            import functools, http.server, os, sys, threading, time
            parent = os.getppid()
            def follow_parent():
                while os.getppid() == parent:
                    time.sleep(1)
                os._exit(0)
            threading.Thread(target=follow_parent, daemon=True).start()
            handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
            print(server.server_address[1], flush=True)
            server.serve_forever()
            """
        process = try Subprocess.start("/usr/bin/env", ["python3", "-c", script, directory.path])
        let line = (process.standardOutput as! Pipe).fileHandleForReading.availableLine()
        guard let port = Int(line.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            process.terminate()
            throw ServerError(message: "test HTTP server did not start: \(line)")
        }
        self.port = port
    }

    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)/\(path)" }

    deinit {
        // SIGTERM ends http.server; waiting here would tie up the thread that releases us.
        process.terminate()
    }

    struct ServerError: Error { let message: String }
}

extension FileHandle {
    /// Reads up to the first newline.
    public func availableLine() -> String {
        var bytes: [UInt8] = []
        while let chunk = try? read(upToCount: 1), let byte = chunk.first, byte != 0x0A { bytes.append(byte) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
