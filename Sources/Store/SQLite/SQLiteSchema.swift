import GRDB

/// The embedded database's schema, as an ordered list of migrations.
enum SQLiteSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: collections, images, faces, ingest jobs, index log") { db in
            try db.execute(sql: """
                CREATE TABLE collection (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    description TEXT,
                    source TEXT NOT NULL,            -- provenance: where the images come from
                    lawful_basis TEXT NOT NULL,
                    jurisdiction TEXT NOT NULL,      -- ISO 3166 code
                    retention_days INTEGER,          -- NULL: kept until erased
                    created_at DATETIME NOT NULL
                );
                CREATE TABLE ingest_job (
                    id INTEGER PRIMARY KEY,
                    collection_id INTEGER NOT NULL REFERENCES collection(id),
                    job_key TEXT NOT NULL,           -- same collection + inputs = same job, resumable
                    inputs TEXT NOT NULL,            -- JSON array of what the operator named
                    status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
                    started_at DATETIME NOT NULL,
                    finished_at DATETIME
                );
                CREATE INDEX ingest_job_by_key ON ingest_job(job_key, status);
                CREATE TABLE image (
                    id INTEGER PRIMARY KEY,
                    collection_id INTEGER NOT NULL REFERENCES collection(id),
                    sha256 TEXT NOT NULL,            -- of the bytes: identical files are stored once
                    location TEXT NOT NULL,          -- absolute path, archive!/entry, or URL
                    source_url TEXT,
                    caption TEXT,
                    taken_at TEXT,
                    width INTEGER NOT NULL,
                    height INTEGER NOT NULL,
                    byte_count INTEGER NOT NULL,
                    format TEXT NOT NULL,
                    job_id INTEGER REFERENCES ingest_job(id),
                    ingested_at DATETIME NOT NULL,
                    UNIQUE (collection_id, sha256)
                );
                -- AUTOINCREMENT: a face ID is never reused, so the index log stays unambiguous.
                CREATE TABLE face (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    image_id INTEGER NOT NULL REFERENCES image(id) ON DELETE CASCADE,
                    box_left INTEGER NOT NULL, box_top INTEGER NOT NULL,
                    box_right INTEGER NOT NULL, box_bottom INTEGER NOT NULL,
                    landmarks TEXT NOT NULL,         -- x,y pairs of the 5 landmarks
                    detector_score REAL NOT NULL,
                    quality REAL NOT NULL,
                    template BLOB NOT NULL,          -- 128 little-endian float32; never exported
                    crop BLOB NOT NULL               -- JPEG of the aligned face chip
                );
                CREATE INDEX face_by_image ON face(image_id);
                CREATE TABLE ingest_item (
                    job_id INTEGER NOT NULL REFERENCES ingest_job(id),
                    item TEXT NOT NULL,
                    outcome TEXT NOT NULL CHECK (outcome IN ('stored', 'duplicate', 'failed')),
                    reason TEXT,
                    image_id INTEGER,
                    faces INTEGER NOT NULL DEFAULT 0,
                    PRIMARY KEY (job_id, item)
                );
                -- Every face added or removed, in commit order: the vector index replays it to
                -- catch up with the database after a crash or another process's writes.
                CREATE TABLE index_log (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    face_id INTEGER NOT NULL,
                    change TEXT NOT NULL CHECK (change IN ('added', 'removed'))
                );
                """)
        }
        migrator.registerMigration("v2: settings") { db in
            try db.execute(sql: """
                -- Gallery-wide settings as JSON values, e.g. the calibrated score bands.
                CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT NOT NULL);
                """)
        }
        return migrator
    }
}
