import LikenessStore
import PostgresNIO

/// Keys of the advisory locks the store takes. The values are arbitrary; they only have to
/// differ from each other and from any other application's locks in the same database.
enum AdvisoryLock: Int64 {
    /// Held (per session) while migrating, so that servers opening the database at once
    /// migrate it one after the other.
    case schemaMigration = 0x4C4B_4E53_0001
    /// Held (per transaction) by every transaction that writes the index change log; see
    /// `PostgresGalleryStore.logIndexChanges`.
    case indexLog = 0x4C4B_4E53_0002
    /// Held (per session) while a process applies the change log to the shared vector index;
    /// see `PostgresGalleryStore.holdingIndexSyncLock`.
    case indexSync = 0x4C4B_4E53_0003
}

/// The PostgreSQL schema, as an ordered list of migrations recorded in `schema_migration`.
/// The tables and their meaning are those of the SQLite schema (`SQLiteSchema`); migration 1
/// is what SQLite reached in its first nine.
enum PostgresSchema {
    struct Migration {
        var version: Int
        var name: String
        /// One statement each: the extended query protocol runs one statement at a time.
        var statements: [String]
    }

    /// Applies the migrations the database lacks, on a connection of its own. Several servers
    /// and workers may open the same database at once: each takes a session advisory lock
    /// first, so one migrates while the others wait, and then find nothing left to do. Each
    /// migration commits with its record. Closing the connection releases the lock, also when
    /// a migration fails.
    static func migrate(_ configuration: PostgresConnection.Configuration) async throws {
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 0, logger: postgresLogger)
        do {
            try await connection.run("SELECT pg_advisory_lock(\(AdvisoryLock.schemaMigration.rawValue))")
            try await connection.run("""
                CREATE TABLE IF NOT EXISTS schema_migration (
                    version INTEGER PRIMARY KEY,
                    name TEXT NOT NULL,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                )
                """)
            let applied = Set(try await connection.rows("SELECT version FROM schema_migration").map { try $0.value("version", as: Int.self) })
            for migration in migrations where !applied.contains(migration.version) {
                try await connection.transaction { connection in
                    for statement in migration.statements {
                        try await connection.run(PostgresQuery(unsafeSQL: statement))
                    }
                    try await connection.run("""
                        INSERT INTO schema_migration (version, name) VALUES (\(migration.version), \(migration.name))
                        """)
                }
            }
        } catch {
            try? await connection.close()
            throw error
        }
        try await connection.close()
    }

    static let migrations: [Migration] = [
        Migration(version: 1, name: "collections, images, faces, ingest jobs, index log, governance", statements: [
            """
            CREATE TABLE organization (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                name TEXT NOT NULL UNIQUE,
                daily_search_limit INTEGER NOT NULL DEFAULT 50,  -- per user; more raises an alert
                jurisdictions TEXT,                               -- JSON array of ISO 3166 codes; NULL: any
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """,
            """
            CREATE TABLE collection (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                organization_id BIGINT NOT NULL REFERENCES organization(id),
                name TEXT NOT NULL,
                description TEXT,
                source TEXT NOT NULL,                -- provenance: where the images come from
                lawful_basis TEXT NOT NULL,
                jurisdiction TEXT NOT NULL,          -- ISO 3166 code
                retention_days INTEGER,              -- NULL: kept until erased
                erasure_policy TEXT NOT NULL DEFAULT 'delete_image' CHECK (erasure_policy IN ('delete_image', 'keep_image')),
                requires_consent BOOLEAN NOT NULL DEFAULT false,  -- only enrolment with consent adds images
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                UNIQUE (organization_id, name)
            )
            """,
            """
            CREATE TABLE ingest_job (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                collection_id BIGINT NOT NULL REFERENCES collection(id),
                job_key TEXT NOT NULL,               -- same collection + inputs = same job, resumable
                inputs TEXT NOT NULL,                -- JSON array of what the operator named
                status TEXT NOT NULL CHECK (status IN ('running', 'finished', 'failed')),
                started_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                finished_at TIMESTAMPTZ
            )
            """,
            "CREATE INDEX ingest_job_by_key ON ingest_job (job_key, status)",
            """
            CREATE TABLE image (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                collection_id BIGINT NOT NULL REFERENCES collection(id),
                sha256 TEXT NOT NULL,                -- of the bytes: identical files are stored once
                location TEXT NOT NULL,              -- absolute path, archive!/entry, or URL
                source_url TEXT,
                caption TEXT,
                taken_at TEXT,
                width INTEGER NOT NULL,
                height INTEGER NOT NULL,
                byte_count BIGINT NOT NULL,
                format TEXT NOT NULL,
                media TEXT NOT NULL DEFAULT 'image' CHECK (media IN ('image', 'video')),
                duration DOUBLE PRECISION,           -- seconds, for videos
                job_id BIGINT REFERENCES ingest_job(id),
                ingested_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                UNIQUE (collection_id, sha256)
            )
            """,
            // An identity column never hands out a number twice, so a face ID is never reused
            // and the index log stays unambiguous.
            """
            CREATE TABLE face (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                image_id BIGINT NOT NULL REFERENCES image(id) ON DELETE CASCADE,
                box_left INTEGER NOT NULL, box_top INTEGER NOT NULL,
                box_right INTEGER NOT NULL, box_bottom INTEGER NOT NULL,
                landmarks TEXT NOT NULL,             -- x,y pairs of the 5 landmarks
                detector_score DOUBLE PRECISION NOT NULL,
                quality DOUBLE PRECISION NOT NULL,
                template BYTEA NOT NULL CHECK (length(template) = 512),  -- 128 little-endian float32; never exported
                crop BYTEA NOT NULL,                 -- JPEG of the aligned face chip
                -- A video face is one track: its best frame's time and the span the person is seen.
                video_time DOUBLE PRECISION,
                track_start DOUBLE PRECISION,
                track_end DOUBLE PRECISION
            )
            """,
            "CREATE INDEX face_by_image ON face (image_id)",
            """
            CREATE TABLE ingest_item (
                job_id BIGINT NOT NULL REFERENCES ingest_job(id),
                item TEXT NOT NULL,
                outcome TEXT NOT NULL CHECK (outcome IN ('stored', 'duplicate', 'failed')),
                reason TEXT,
                image_id BIGINT,
                faces INTEGER NOT NULL DEFAULT 0,
                PRIMARY KEY (job_id, item)
            )
            """,
            // Every face added or removed, in commit order (see `PostgresGalleryStore.logIndexChanges`):
            // the vector index replays it to catch up with the database.
            """
            CREATE TABLE index_log (
                seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                face_id BIGINT NOT NULL,
                change TEXT NOT NULL CHECK (change IN ('added', 'removed'))
            )
            """,
            // Gallery-wide settings as JSON values, e.g. the calibrated score bands.
            "CREATE TABLE setting (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            """
            CREATE TABLE account (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                organization_id BIGINT NOT NULL REFERENCES organization(id),
                username TEXT NOT NULL,
                display_name TEXT NOT NULL,
                password_hash TEXT NOT NULL,         -- bcrypt
                role TEXT NOT NULL CHECK (role IN ('admin', 'supervisor', 'investigator', 'auditor')),
                status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'disabled')),
                trial_expires_at TIMESTAMPTZ,        -- trial accounts: set by an admin, with a quota
                trial_search_quota INTEGER,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """,
            // Usernames are unique and looked up regardless of case, as SQLite's NOCASE column does.
            "CREATE UNIQUE INDEX account_by_username ON account (lower(username))",
            """
            CREATE TABLE session (
                token_hash TEXT PRIMARY KEY,         -- SHA-256 of the cookie value
                account_id BIGINT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                csrf_token TEXT NOT NULL,
                expires_at TIMESTAMPTZ NOT NULL
            )
            """,
            """
            CREATE TABLE api_key (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                account_id BIGINT NOT NULL REFERENCES account(id) ON DELETE CASCADE,
                key_hash TEXT NOT NULL UNIQUE,       -- SHA-256 of the key: shown once, never stored
                prefix TEXT NOT NULL,                -- the first characters, to tell keys apart
                label TEXT NOT NULL,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                revoked_at TIMESTAMPTZ
            )
            """,
            // Append-only and hash-chained: each entry's hash covers its fields and the previous
            // entry's hash, so an edit or a deletion breaks the chain from there on. The ID is
            // not an identity: `appendAudit` numbers entries itself, under a lock, as it hashes them.
            """
            CREATE TABLE audit_entry (
                id BIGINT PRIMARY KEY,
                at TEXT COLLATE "C" NOT NULL,        -- ISO 8601 UTC, exactly as hashed; byte order is time order
                organization_id BIGINT,
                actor_id BIGINT,
                actor TEXT NOT NULL,
                action TEXT NOT NULL,
                outcome TEXT NOT NULL,
                case_number TEXT,
                purpose TEXT,
                offence TEXT,
                probe_sha256 TEXT,
                probe_thumbnail BYTEA,
                collections TEXT NOT NULL,           -- JSON array of collection IDs searched
                candidates TEXT NOT NULL,            -- JSON array of {face, distance, band}
                client_address TEXT,
                detail TEXT,
                previous_hash TEXT NOT NULL,
                hash TEXT NOT NULL
            )
            """,
            "CREATE INDEX audit_by_org_time ON audit_entry (organization_id, at)",
            "CREATE INDEX audit_by_actor ON audit_entry (actor_id, action)",
            """
            CREATE FUNCTION audit_entry_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit entries cannot be %', CASE TG_OP WHEN 'UPDATE' THEN 'changed' ELSE 'deleted' END;
            END
            $$
            """,
            """
            CREATE TRIGGER audit_entry_no_update BEFORE UPDATE ON audit_entry
                FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change()
            """,
            """
            CREATE TRIGGER audit_entry_no_delete BEFORE DELETE ON audit_entry
                FOR EACH ROW EXECUTE FUNCTION audit_entry_refuse_change()
            """,
            // TRUNCATE fires no row triggers: it needs a statement trigger of its own.
            """
            CREATE TRIGGER audit_entry_no_truncate BEFORE TRUNCATE ON audit_entry
                FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse_change()
            """,
            // People who had their faces erased and asked not to be ingested again. Each row is
            // one of their templates, sealed (AES-GCM) with a key kept outside the database.
            """
            CREATE TABLE suppression (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                organization_id BIGINT NOT NULL REFERENCES organization(id),
                sealed_template BYTEA NOT NULL,
                reference TEXT NOT NULL,             -- the erasure request's reference
                created_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """,
            "CREATE INDEX suppression_by_org ON suppression (organization_id)",
            """
            CREATE TABLE subject_request (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                organization_id BIGINT NOT NULL REFERENCES organization(id),
                reference TEXT NOT NULL UNIQUE,
                kind TEXT NOT NULL CHECK (kind IN ('access', 'erasure')),
                status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
                selfie BYTEA,                        -- deleted when the request closes
                contact TEXT NOT NULL,               -- how the organisation answers the person
                suppression_consent BOOLEAN NOT NULL DEFAULT false,
                created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                closed_at TIMESTAMPTZ,
                decision TEXT
            )
            """,
            "CREATE INDEX subject_request_by_org ON subject_request (organization_id, status)",
            // A consent collection holds only enrolled people's images, each with its consent.
            """
            CREATE TABLE consent (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                collection_id BIGINT NOT NULL REFERENCES collection(id),
                image_id BIGINT,                     -- NULL once withdrawn and erased
                subject TEXT NOT NULL,               -- who consented
                text_version TEXT NOT NULL,          -- which consent text they agreed to
                given_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                recorded_by TEXT NOT NULL,
                withdrawn_at TIMESTAMPTZ
            )
            """,
            "CREATE INDEX consent_by_subject ON consent (collection_id, subject)",
        ]),
        Migration(version: 2, name: "ingest queue", statements: [
            // Ingest jobs waiting for a worker, or held by one until its lease runs out.
            """
            CREATE TABLE ingest_queue (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                collection_id BIGINT NOT NULL REFERENCES collection(id),
                inputs TEXT NOT NULL,                -- JSON array of what the operator named
                requested_by TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('queued', 'claimed', 'finished', 'failed')),
                worker TEXT,                         -- the worker that holds or last held it
                lease_until TIMESTAMPTZ,             -- by the database's clock; a claimed job past it is claimed again
                attempts INTEGER NOT NULL DEFAULT 0,
                enqueued_at TIMESTAMPTZ NOT NULL DEFAULT now(),
                finished_at TIMESTAMPTZ,
                summary TEXT                         -- the worker's report, JSON
            )
            """,
            "CREATE INDEX ingest_queue_waiting ON ingest_queue (id) WHERE state IN ('queued', 'claimed')",
        ]),
        Migration(version: 3, name: "accounts that must change a one-time password", statements: [
            "ALTER TABLE account ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT false",
        ]),
        // SQLite's v12.
        Migration(version: 4, name: "identity-checked privacy requests with stored findings; audit thumbnails apart", statements: [
            "ALTER TABLE subject_request DROP CONSTRAINT subject_request_status_check",
            // A request filed before had no identity check, so it now awaits one.
            "UPDATE subject_request SET status = 'unverified' WHERE status = 'open'",
            """
            ALTER TABLE subject_request
                ADD CONSTRAINT subject_request_status_check
                    CHECK (status IN ('unverified', 'verified', 'closed', 'rejected', 'expired')),
                ADD COLUMN verification_method TEXT,     -- how identity was checked (never the document itself)
                ADD COLUMN verification_note TEXT,
                ADD COLUMN answer_to TEXT,               -- the verified contact answers go to
                ADD COLUMN verified_by BIGINT REFERENCES account(id),
                ADD COLUMN verified_by_name TEXT,
                ADD COLUMN verified_at TIMESTAMPTZ
            """,
            // What an audited lookup found for a request: shown from here, never looked up again.
            """
            CREATE TABLE subject_finding (
                request_id BIGINT NOT NULL REFERENCES subject_request(id) ON DELETE CASCADE,
                face_id BIGINT NOT NULL,
                distance REAL NOT NULL,
                band TEXT NOT NULL,
                found_by TEXT NOT NULL,
                audit_entry_id BIGINT NOT NULL,
                PRIMARY KEY (request_id, face_id)
            )
            """,
            // Probe thumbnails leave the append-only entries: the chain hashes their digest, and
            // their bytes are redacted when the face they show is erased.
            """
            CREATE TABLE audit_thumbnail (
                entry_id BIGINT PRIMARY KEY REFERENCES audit_entry(id),
                sha256 TEXT NOT NULL,
                jpeg BYTEA,                          -- NULL once redacted
                face_id BIGINT,                      -- the gallery face it shows (a pivot search's probe)
                request_reference TEXT,              -- the privacy request whose selfie it shows
                redacted_at TIMESTAMPTZ
            )
            """,
            "CREATE INDEX audit_thumbnail_by_face ON audit_thumbnail (face_id) WHERE face_id IS NOT NULL",
            "CREATE INDEX audit_thumbnail_by_request ON audit_thumbnail (request_reference) WHERE request_reference IS NOT NULL",
            """
            INSERT INTO audit_thumbnail (entry_id, sha256, jpeg, face_id)
            SELECT id, encode(sha256(probe_thumbnail), 'hex'), probe_thumbnail,
                   CASE WHEN detail ~ '^pivot from face [0-9]+$' THEN substring(detail FROM '[0-9]+$')::bigint END
            FROM audit_entry WHERE probe_thumbnail IS NOT NULL
            """,
            "ALTER TABLE audit_entry DROP COLUMN probe_thumbnail",
            """
            CREATE FUNCTION audit_thumbnail_only_redacted() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' OR NEW.entry_id IS DISTINCT FROM OLD.entry_id OR NEW.sha256 IS DISTINCT FROM OLD.sha256
                   OR NEW.jpeg IS NOT NULL THEN
                    RAISE EXCEPTION 'audit thumbnails can only be redacted';
                END IF;
                RETURN NEW;
            END
            $$
            """,
            """
            CREATE TRIGGER audit_thumbnail_only_redacted BEFORE UPDATE OR DELETE ON audit_thumbnail
                FOR EACH ROW EXECUTE FUNCTION audit_thumbnail_only_redacted()
            """,
            """
            CREATE TRIGGER audit_thumbnail_no_truncate BEFORE TRUNCATE ON audit_thumbnail
                FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse_change()
            """,
        ]),
        Migration(version: 5, name: "audit checkpoints", statements: [
            // The chain's head, signed from time to time with a key kept outside the database,
            // so that removing the newest entries, or rewriting and rehashing them, shows.
            // Append-only like the entries; an identity never reuses a removed checkpoint's number.
            """
            CREATE TABLE audit_checkpoint (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                entry_id BIGINT NOT NULL,            -- the newest entry when signed; 0: an empty log
                entry_hash TEXT NOT NULL,
                at TEXT COLLATE "C" NOT NULL,        -- ISO 8601 UTC, exactly as signed
                public_key TEXT NOT NULL,            -- Ed25519, hex: who claims to have signed
                signature TEXT NOT NULL              -- Ed25519, hex
            )
            """,
            """
            CREATE FUNCTION audit_checkpoint_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit checkpoints cannot be %', CASE TG_OP WHEN 'UPDATE' THEN 'changed' ELSE 'deleted' END;
            END
            $$
            """,
            """
            CREATE TRIGGER audit_checkpoint_no_update BEFORE UPDATE ON audit_checkpoint
                FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_refuse_change()
            """,
            """
            CREATE TRIGGER audit_checkpoint_no_delete BEFORE DELETE ON audit_checkpoint
                FOR EACH ROW EXECUTE FUNCTION audit_checkpoint_refuse_change()
            """,
            """
            CREATE TRIGGER audit_checkpoint_no_truncate BEFORE TRUNCATE ON audit_checkpoint
                FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoint_refuse_change()
            """,
        ]),
    ]
}
