import LikenessIngest
import Testing

/// File names Likeness did not choose are split without Foundation's NSString path methods,
/// which trap on some of them (see FileName).
@Suite struct FileNameTests {
    @Test(arguments: [
        ("photo.JPG", "photo.JPG", "jpg"),
        ("/data/in/a.b.tar.gz", "a.b.tar.gz", "gz"),
        ("people/img17.jpg/", "img17.jpg", "jpg"),
        (".profile", ".profile", ""),
        ("folder.d/README", "README", ""),
        ("trailing.", "trailing.", ""),
        ("/", "", ""),
        ("", "", ""),
        // Each of these ends a process that asks NSString for its extension or last component.
        ("///://", ":", ""),
        ("a///b//", "b", ""),
        ("///x//.JPEG", ".JPEG", ""),
    ])
    func splitsNamesAsAPersonReadsThem(path: String, lastComponent: String, lowercasedExtension: String) {
        #expect(FileName.lastComponent(path) == lastComponent)
        #expect(FileName.lowercasedExtension(path) == lowercasedExtension)
    }
}
