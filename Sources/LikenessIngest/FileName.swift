/// The parts of a file name that Likeness reads from names it did not choose: manifest rows,
/// archive entries, uploaded files' names, and the image locations stored from them.
///
/// In plain Swift, because swift-corelibs-foundation's NSString path methods (`pathExtension`,
/// `lastPathComponent`, `deletingLastPathComponent`) trap on some strings: `"///://"` and `"a///b//"` kill the
/// process. The manifest fuzz target found it (Tests/Fixtures/fuzz/manifest); through an upload's
/// file name or an archive entry's, it would have taken the server down.
public enum FileName {
    /// The last component, trailing slashes ignored: "a/b.jpg/" → "b.jpg"; "" for "/" or "".
    public static func lastComponent(_ path: String) -> String {
        path.split(separator: "/").last.map(String.init) ?? ""
    }

    /// The last component's extension, lower-cased and without its dot; "" when it has none
    /// (".profile" is a hidden name, not an extension).
    public static func lowercasedExtension(_ path: String) -> String {
        let name = lastComponent(path)
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else { return "" }
        return name[name.index(after: dot)...].lowercased()
    }
}
