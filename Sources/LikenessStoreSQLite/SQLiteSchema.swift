import Crypto
import Foundation
import LikenessStore
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
        migrator.registerMigration("v3: organisations, accounts, sessions, API keys, audit log") { db in
            try db.execute(sql: """
                CREATE TABLE organization (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    daily_search_limit INTEGER NOT NULL DEFAULT 50,  -- per user; more raises an alert
                    created_at DATETIME NOT NULL
                );
                -- Collections now belong to an organisation, and names are unique within it.
                -- Galleries made before organisations existed go to one named "default".
                INSERT INTO organization (name, created_at)
                    SELECT 'default', CURRENT_TIMESTAMP WHERE EXISTS (SELECT 1 FROM collection);
                CREATE TABLE collection_v3 (
                    id INTEGER PRIMARY KEY,
                    organization_id INTEGER NOT NULL REFERENCES organization(id),
                    name TEXT NOT NULL,
                    description TEXT,
                    source TEXT NOT NULL,
                    lawful_basis TEXT NOT NULL,
                    jurisdiction TEXT NOT NULL,
                    retention_days INTEGER,
                    created_at DATETIME NOT NULL,
                    UNIQUE (organization_id, name)
                );
                INSERT INTO collection_v3 (id, organization_id, name, description, source, lawful_basis,
                                           jurisdiction, retention_days, created_at)
                    SELECT c.id, o.id, c.name, c.description, c.source, c.lawful_basis, c.jurisdiction,
                           c.retention_days, c.created_at
                    FROM collection c, organization o WHERE o.name = 'default';
                DROP TABLE collection;
                ALTER TABLE collection_v3 RENAME TO collection;

                CREATE TABLE account (
                    id INTEGER PRIMARY KEY,
                    organization_id INTEGER NOT NULL REFERENCES organization(id),
                    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    display_name TEXT NOT NULL,
                    password_hash TEXT NOT NULL,         -- bcrypt
                    role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'investigator', 'auditor')),
                    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'disabled')),
                    trial_expires_at DATETIME,           -- trial accounts: set by an admin, with a quota
                    trial_search_quota INTEGER,
                    created_at DATETIME NOT NULL
                );
                CREATE TABLE session (
                    token_hash TEXT PRIMARY KEY,         -- SHA-256 of the cookie value
                    account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    csrf_token TEXT NOT NULL,
                    expires_at DATETIME NOT NULL
                );
                CREATE TABLE api_key (
                    id INTEGER PRIMARY KEY,
                    account_id INTEGER NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                    key_hash TEXT NOT NULL UNIQUE,       -- SHA-256 of the key: shown once, never stored
                    prefix TEXT NOT NULL,                -- the first characters, to tell keys apart
                    label TEXT NOT NULL,
                    created_at DATETIME NOT NULL,
                    revoked_at DATETIME
                );
                -- Append-only and hash-chained: each entry's hash covers its fields and the
                -- previous entry's hash, so an edit or a deletion breaks the chain from there on.
                CREATE TABLE audit_entry (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    at TEXT NOT NULL,                    -- ISO 8601 UTC, exactly as hashed
                    organization_id INTEGER,
                    actor_id INTEGER,
                    actor TEXT NOT NULL,
                    action TEXT NOT NULL,
                    outcome TEXT NOT NULL,
                    case_number TEXT,
                    purpose TEXT,
                    offence TEXT,
                    probe_sha256 TEXT,
                    probe_thumbnail BLOB,
                    collections TEXT NOT NULL,           -- JSON array of collection IDs searched
                    candidates TEXT NOT NULL,            -- JSON array of {face, distance, band}
                    client_address TEXT,
                    detail TEXT,
                    previous_hash TEXT NOT NULL,
                    hash TEXT NOT NULL
                );
                CREATE INDEX audit_by_org_time ON audit_entry(organization_id, at);
                CREATE INDEX audit_by_actor ON audit_entry(actor_id, action);
                CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
                    BEGIN SELECT RAISE(ABORT, 'audit entries cannot be changed'); END;
                CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry
                    BEGIN SELECT RAISE(ABORT, 'audit entries cannot be deleted'); END;
                """)
        }
        migrator.registerMigration("v4: faces from video") { db in
            try db.execute(sql: """
                ALTER TABLE image ADD COLUMN media TEXT NOT NULL DEFAULT 'image';  -- 'image' or 'video'
                ALTER TABLE image ADD COLUMN duration REAL;                        -- seconds, for videos
                -- A video face is one track: its best frame's time and the span the person is seen.
                ALTER TABLE face ADD COLUMN video_time REAL;
                ALTER TABLE face ADD COLUMN track_start REAL;
                ALTER TABLE face ADD COLUMN track_end REAL;
                """)
        }
        migrator.registerMigration("v5: what erasure does to an image left without faces") { db in
            try db.execute(sql: """
                ALTER TABLE collection ADD COLUMN erasure_policy TEXT NOT NULL DEFAULT 'delete_image'
                    CHECK (erasure_policy IN ('delete_image', 'keep_image'));
                """)
        }
        migrator.registerMigration("v6: suppression list") { db in
            try db.execute(sql: """
                -- People who had their faces erased and asked not to be ingested again. Each row is
                -- one of their templates, sealed (AES-GCM) with a key kept outside the database.
                CREATE TABLE suppression (
                    id INTEGER PRIMARY KEY,
                    organization_id INTEGER NOT NULL REFERENCES organization(id),
                    sealed_template BLOB NOT NULL,
                    reference TEXT NOT NULL,         -- the erasure request's reference
                    created_at DATETIME NOT NULL
                );
                CREATE INDEX suppression_by_org ON suppression(organization_id);
                """)
        }
        migrator.registerMigration("v7: the jurisdictions an organisation may ingest and search") { db in
            try db.execute(sql: """
                ALTER TABLE organization ADD COLUMN jurisdictions TEXT;  -- JSON array of ISO 3166 codes; NULL: any
                """)
        }
        migrator.registerMigration("v8: access and erasure requests") { db in
            try db.execute(sql: """
                CREATE TABLE subject_request (
                    id INTEGER PRIMARY KEY,
                    organization_id INTEGER NOT NULL REFERENCES organization(id),
                    reference TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL CHECK (kind IN ('access', 'erasure')),
                    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
                    selfie BLOB,                     -- deleted when the request closes
                    contact TEXT NOT NULL,           -- how the organisation answers the person
                    suppression_consent INTEGER NOT NULL DEFAULT 0,
                    created_at DATETIME NOT NULL,
                    closed_at DATETIME,
                    decision TEXT
                );
                CREATE INDEX subject_request_by_org ON subject_request(organization_id, status);
                """)
        }
        migrator.registerMigration("v9: consent-based collections") { db in
            try db.execute(sql: """
                -- A consent collection holds only enrolled people's images, each with its consent.
                ALTER TABLE collection ADD COLUMN requires_consent INTEGER NOT NULL DEFAULT 0;
                CREATE TABLE consent (
                    id INTEGER PRIMARY KEY,
                    collection_id INTEGER NOT NULL REFERENCES collection(id),
                    image_id INTEGER,                -- NULL once withdrawn and erased
                    subject TEXT NOT NULL,           -- who consented
                    text_version TEXT NOT NULL,      -- which consent text they agreed to
                    given_at DATETIME NOT NULL,
                    recorded_by TEXT NOT NULL,
                    withdrawn_at DATETIME
                );
                CREATE INDEX consent_by_subject ON consent(collection_id, subject);
                """)
        }
        migrator.registerMigration("v10: ingest queue") { db in
            try db.execute(sql: """
                -- Ingest jobs waiting for a worker, or held by one until its lease runs out.
                CREATE TABLE ingest_queue (
                    id INTEGER PRIMARY KEY,
                    collection_id INTEGER NOT NULL REFERENCES collection(id),
                    inputs TEXT NOT NULL,            -- JSON array of what the operator named
                    requested_by TEXT NOT NULL,
                    state TEXT NOT NULL CHECK (state IN ('queued', 'claimed', 'finished', 'failed')),
                    worker TEXT,                     -- the worker that holds or last held it
                    lease_until DATETIME,            -- a claimed job past this is claimed again
                    attempts INTEGER NOT NULL DEFAULT 0,
                    enqueued_at DATETIME NOT NULL,
                    finished_at DATETIME,
                    summary TEXT                     -- the worker's report, JSON
                );
                CREATE INDEX ingest_queue_waiting ON ingest_queue(state, id);
                """)
        }
        migrator.registerMigration("v11: accounts that must change a one-time password") { db in
            try db.execute(sql: "ALTER TABLE account ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT 0")
        }
        migrator.registerMigration("v12: identity-checked privacy requests with stored findings; audit thumbnails apart") { db in
            // SQLite cannot change a CHECK constraint: the requests table is rebuilt. A request
            // filed before had no identity check, so it now awaits one.
            try db.execute(sql: """
                CREATE TABLE subject_request_v12 (
                    id INTEGER PRIMARY KEY,
                    organization_id INTEGER NOT NULL REFERENCES organization(id),
                    reference TEXT NOT NULL UNIQUE,
                    kind TEXT NOT NULL CHECK (kind IN ('access', 'erasure')),
                    status TEXT NOT NULL CHECK (status IN ('unverified', 'verified', 'closed', 'rejected', 'expired')),
                    selfie BLOB,                     -- re-encoded small; deleted when the request ends
                    contact TEXT NOT NULL,           -- as the requester gave it
                    suppression_consent INTEGER NOT NULL DEFAULT 0,
                    created_at DATETIME NOT NULL,
                    closed_at DATETIME,
                    decision TEXT,
                    verification_method TEXT,        -- how identity was checked (never the document itself)
                    verification_note TEXT,
                    answer_to TEXT,                  -- the verified contact answers go to
                    verified_by INTEGER REFERENCES account(id),
                    verified_by_name TEXT,
                    verified_at DATETIME
                );
                INSERT INTO subject_request_v12 (id, organization_id, reference, kind, status, selfie, contact, suppression_consent,
                                                 created_at, closed_at, decision)
                    SELECT id, organization_id, reference, kind, CASE status WHEN 'open' THEN 'unverified' ELSE 'closed' END,
                           selfie, contact, suppression_consent, created_at, closed_at, decision
                    FROM subject_request;
                DROP TABLE subject_request;
                ALTER TABLE subject_request_v12 RENAME TO subject_request;
                CREATE INDEX subject_request_by_org ON subject_request(organization_id, status);
                -- What an audited lookup found for a request: shown from here, never looked up again.
                CREATE TABLE subject_finding (
                    request_id INTEGER NOT NULL REFERENCES subject_request(id) ON DELETE CASCADE,
                    face_id INTEGER NOT NULL,
                    distance REAL NOT NULL,
                    band TEXT NOT NULL,
                    found_by TEXT NOT NULL,
                    audit_entry_id INTEGER NOT NULL,
                    PRIMARY KEY (request_id, face_id)
                );
                -- Probe thumbnails leave the append-only entries: the chain hashes their digest,
                -- and their bytes are redacted when the face they show is erased.
                CREATE TABLE audit_thumbnail (
                    entry_id INTEGER PRIMARY KEY REFERENCES audit_entry(id),
                    sha256 TEXT NOT NULL,
                    jpeg BLOB,                       -- NULL once redacted
                    face_id INTEGER,                 -- the gallery face it shows (a pivot search's probe)
                    request_reference TEXT,          -- the privacy request whose selfie it shows
                    redacted_at DATETIME
                );
                CREATE INDEX audit_thumbnail_by_face ON audit_thumbnail(face_id) WHERE face_id IS NOT NULL;
                CREATE INDEX audit_thumbnail_by_request ON audit_thumbnail(request_reference) WHERE request_reference IS NOT NULL;
                CREATE TRIGGER audit_thumbnail_no_delete BEFORE DELETE ON audit_thumbnail
                    BEGIN SELECT RAISE(ABORT, 'audit thumbnails cannot be deleted, only redacted'); END;
                CREATE TRIGGER audit_thumbnail_only_redacted BEFORE UPDATE ON audit_thumbnail
                    WHEN NEW.entry_id IS NOT OLD.entry_id OR NEW.sha256 IS NOT OLD.sha256 OR NEW.jpeg IS NOT NULL
                    BEGIN SELECT RAISE(ABORT, 'audit thumbnails can only be redacted'); END;
                """)
            for row in try Row.fetchAll(db, sql: "SELECT id, probe_thumbnail, detail FROM audit_entry WHERE probe_thumbnail IS NOT NULL") {
                let jpeg: Data = row["probe_thumbnail"]
                // Pivot searches said which gallery face they started from.
                let detail: String? = row["detail"]
                let face = detail.flatMap { $0.hasPrefix("pivot from face ") ? Int64($0.dropFirst(16)) : nil }
                try db.execute(sql: "INSERT INTO audit_thumbnail (entry_id, sha256, jpeg, face_id) VALUES (?, ?, ?, ?)",
                               arguments: [row["id"], SHA256.hash(data: jpeg).hexString, jpeg, face])
            }
            // Rewrites the table without the bytes; secure_delete zeroes the pages they leave.
            try db.execute(sql: "ALTER TABLE audit_entry DROP COLUMN probe_thumbnail")
        }
        migrator.registerMigration("v13: audit checkpoints") { db in
            try db.execute(sql: """
                -- The chain's head, signed from time to time with a key kept outside the database,
                -- so that removing the newest entries, or rewriting and rehashing them, shows.
                -- Append-only like the entries; AUTOINCREMENT never reuses the number of a
                -- checkpoint that was removed.
                CREATE TABLE audit_checkpoint (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    entry_id INTEGER NOT NULL,           -- the newest entry when signed; 0: an empty log
                    entry_hash TEXT NOT NULL,
                    at TEXT NOT NULL,                    -- ISO 8601 UTC, exactly as signed
                    public_key TEXT NOT NULL,            -- Ed25519, hex: who claims to have signed
                    signature TEXT NOT NULL              -- Ed25519, hex
                );
                CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE ON audit_checkpoint
                    BEGIN SELECT RAISE(ABORT, 'audit checkpoints cannot be changed'); END;
                CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint
                    BEGIN SELECT RAISE(ABORT, 'audit checkpoints cannot be deleted'); END;
                """)
        }
        migrator.registerMigration("v14: templates of a second model") { db in
            try db.execute(sql: """
                -- Templates of models other than the index's (whose template is face.template),
                -- re-scoring the index's candidates. They go with their face: erasure deletes the
                -- face, the cascade its templates, and secure_delete overwrites both.
                CREATE TABLE face_template (
                    face_id INTEGER NOT NULL REFERENCES face(id) ON DELETE CASCADE,
                    model TEXT NOT NULL CHECK (model <> 'dlib-resnet-v1'),  -- a TemplateModel
                    template BLOB NOT NULL,          -- 128 little-endian float32; never exported
                    PRIMARY KEY (face_id, model)
                );
                """)
        }
        migrator.registerMigration("v15: erasure journal") { db in
            try db.execute(sql: """
                -- An erasure's work past the database (index, held files, erasure log), written in
                -- the erasure's transaction and deleted when that work is done: a start after a
                -- crash finishes what is left here. The record holds keyed digests, never templates.
                CREATE TABLE erasure_journal (
                    id INTEGER PRIMARY KEY,
                    record BLOB NOT NULL,
                    deleted_image_locations TEXT NOT NULL    -- JSON array of image locations
                );
                """)
        }
        migrator.registerMigration("v16: cases and their authorisation") { db in
            try db.execute(sql: """
                CREATE TABLE investigation_case (
                    id INTEGER PRIMARY KEY,
                    organization_id INTEGER NOT NULL REFERENCES organization(id),
                    number TEXT NOT NULL,
                    title TEXT NOT NULL,
                    offence TEXT,
                    status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
                    lead_investigator INTEGER NOT NULL REFERENCES account(id),
                    opened_by INTEGER NOT NULL REFERENCES account(id),
                    opened_at DATETIME NOT NULL,
                    closed_at DATETIME,
                    -- The authority's decision, all NULL until one is recorded.
                    authorisation TEXT CHECK (authorisation IN ('granted', 'refused')),
                    authorisation_reference TEXT,
                    authorisation_authority TEXT,
                    authorisation_decided_at DATETIME,
                    authorisation_recorded_by INTEGER REFERENCES account(id),
                    authorisation_recorded_at DATETIME,
                    -- An urgent case's first search without a decision, which starts its 48 hours.
                    urgent_since DATETIME,
                    urgent_entry INTEGER,
                    -- Refused, or its 48 hours passed without a decision: no more searches.
                    blocked_at DATETIME,
                    blocked_reason TEXT,
                    UNIQUE (organization_id, number)
                );
                CREATE INDEX investigation_case_by_org ON investigation_case(organization_id, status);
                -- Whether a case's searches need the authority's decision first ('required'), or
                -- may start before it, with the decision due within 48 hours ('urgent').
                ALTER TABLE organization ADD COLUMN case_authorisation TEXT NOT NULL DEFAULT 'required'
                    CHECK (case_authorisation IN ('required', 'urgent'));
                """)
        }
        migrator.registerMigration("v17: training records") { db in
            try db.execute(sql: """
                CREATE TABLE training_record (
                    id INTEGER PRIMARY KEY,
                    account_id INTEGER NOT NULL REFERENCES account(id),
                    course TEXT NOT NULL,
                    completed_on DATETIME NOT NULL,
                    recorded_by INTEGER REFERENCES account(id),   -- NULL: the command line
                    recorded_at DATETIME NOT NULL
                );
                CREATE INDEX training_record_by_account ON training_record(account_id, completed_on);
                -- How many months a training record lets its account search.
                ALTER TABLE organization ADD COLUMN training_validity_months INTEGER NOT NULL DEFAULT 12;
                """)
        }
        migrator.registerMigration("v18: examiners and their reviews of candidates") { db in
            // SQLite cannot change a CHECK constraint: the account table is rebuilt with the new
            // role (the migrator holds foreign key checks until the migration ends).
            try db.execute(sql: """
                CREATE TABLE account_v18 (
                    id INTEGER PRIMARY KEY,
                    organization_id INTEGER NOT NULL REFERENCES organization(id),
                    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
                    display_name TEXT NOT NULL,
                    password_hash TEXT NOT NULL,         -- bcrypt
                    role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'investigator', 'auditor', 'examiner')),
                    status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'disabled')),
                    trial_expires_at DATETIME,
                    trial_search_quota INTEGER,
                    created_at DATETIME NOT NULL,
                    must_change_password BOOLEAN NOT NULL DEFAULT 0
                );
                INSERT INTO account_v18 (id, organization_id, username, display_name, password_hash, role, status,
                                         trial_expires_at, trial_search_quota, created_at, must_change_password)
                    SELECT id, organization_id, username, display_name, password_hash, role, status,
                           trial_expires_at, trial_search_quota, created_at, must_change_password FROM account;
                DROP TABLE account;
                ALTER TABLE account_v18 RENAME TO account;

                CREATE TABLE candidate_review (
                    id INTEGER PRIMARY KEY,
                    organization_id INTEGER NOT NULL REFERENCES organization(id),
                    search_entry INTEGER NOT NULL REFERENCES audit_entry(id),
                    face_id INTEGER NOT NULL,            -- no reference: the face may be erased since
                    reviewer_id INTEGER NOT NULL REFERENCES account(id),
                    features TEXT NOT NULL,              -- JSON object: feature → observation
                    notes TEXT,
                    conclusion TEXT NOT NULL,
                    reviewed_at DATETIME NOT NULL,
                    audit_entry INTEGER NOT NULL REFERENCES audit_entry(id),
                    UNIQUE (search_entry, face_id, reviewer_id)
                );
                """)
        }
        migrator.registerMigration("v19: probe faces of searches; audit entries by case") { db in
            try db.execute(sql: """
                -- The searched face's aligned chip, for examiners; deleted with its entry's thumbnail.
                CREATE TABLE search_probe_face (
                    entry_id INTEGER PRIMARY KEY REFERENCES audit_entry(id),
                    jpeg BLOB NOT NULL,
                    landmarks TEXT NOT NULL              -- "x,y x,y …" on the chip
                );
                -- A case's entries: its page and its report.
                CREATE INDEX audit_entry_by_case ON audit_entry(organization_id, case_number);
                """)
        }
        migrator.registerMigration("v20: probes kept on watch") { db in
            try db.execute(sql: """
                CREATE TABLE watch (
                    id INTEGER PRIMARY KEY,
                    organization_id INTEGER NOT NULL REFERENCES organization(id),
                    case_id INTEGER NOT NULL REFERENCES investigation_case(id),
                    owner_id INTEGER NOT NULL REFERENCES account(id),
                    search_entry INTEGER NOT NULL REFERENCES audit_entry(id),
                    probe_sha256 TEXT,
                    opened_at DATETIME NOT NULL,
                    expires_at DATETIME NOT NULL,
                    cursor INTEGER NOT NULL,             -- the index_log sequence matched up to
                    match_count INTEGER NOT NULL DEFAULT 0,
                    last_match_entry INTEGER REFERENCES audit_entry(id),
                    ended_at DATETIME,
                    end_reason TEXT,
                    -- The probe, held while the watch is open, deleted when it ends.
                    dlib_template BLOB,                  -- 128 little-endian float32
                    sface_template BLOB,
                    probe_jpeg BLOB,                     -- the aligned chip examiners compare with
                    probe_landmarks TEXT,
                    CHECK ((ended_at IS NULL) = (dlib_template IS NOT NULL AND probe_jpeg IS NOT NULL))
                );
                CREATE INDEX watch_by_case ON watch(case_id) WHERE ended_at IS NULL;
                CREATE INDEX watch_by_org ON watch(organization_id);
                """)
        }
        migrator.registerMigration("v21: candidate lists apart from their audit entries") { db in
            try db.execute(sql: """
                -- A search's candidates leave the append-only entry, as its thumbnail did: the chain
                -- hashes their digest, and the list is deleted when the search's case is stopped.
                -- Entries appended before keep their lists, which the chain hashes.
                CREATE TABLE audit_candidates (
                    entry_id INTEGER PRIMARY KEY REFERENCES audit_entry(id),
                    sha256 TEXT NOT NULL,
                    candidates TEXT,                 -- JSON array of {face, distance, band}; NULL once deleted
                    deleted_at DATETIME
                );
                CREATE TRIGGER audit_candidates_no_delete BEFORE DELETE ON audit_candidates
                    BEGIN SELECT RAISE(ABORT, 'audit candidate lists cannot be removed, only their candidates deleted'); END;
                CREATE TRIGGER audit_candidates_only_deleted BEFORE UPDATE ON audit_candidates
                    WHEN NEW.entry_id IS NOT OLD.entry_id OR NEW.sha256 IS NOT OLD.sha256 OR NEW.candidates IS NOT NULL
                    BEGIN SELECT RAISE(ABORT, 'audit candidate lists can only be deleted'); END;
                """)
        }
        return migrator
    }
}
