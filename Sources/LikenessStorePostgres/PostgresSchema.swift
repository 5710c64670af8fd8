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
        initialSchema,
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
        // SQLite's v14.
        Migration(version: 6, name: "templates of a second model", statements: [
            // Templates of models other than the index's (whose template is face.template),
            // re-scoring the index's candidates. They go with their face: deleting it cascades
            // to them in the same statement, and `checkpoint()` vacuums this table with face's.
            """
            CREATE TABLE face_template (
                face_id BIGINT NOT NULL REFERENCES face(id) ON DELETE CASCADE,
                model TEXT NOT NULL CHECK (model <> 'dlib-resnet-v1'),  -- a TemplateModel
                template BYTEA NOT NULL CHECK (length(template) = 512),  -- 128 little-endian float32; never exported
                PRIMARY KEY (face_id, model)
            )
            """,
        ]),
        // SQLite's v15.
        Migration(version: 7, name: "erasure journal", statements: [
            // An erasure's work past the database (index, held files, erasure log), written in the
            // erasure's transaction and deleted when that work is done: a start after a crash
            // finishes what is left here. The record holds keyed digests, never templates.
            """
            CREATE TABLE erasure_journal (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                record BYTEA NOT NULL,
                deleted_image_locations JSONB NOT NULL
            )
            """,
        ]),
        // SQLite's v16.
        Migration(version: 8, name: "cases and their authorisation", statements: [
            """
            CREATE TABLE investigation_case (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                organization_id BIGINT NOT NULL REFERENCES organization(id),
                number TEXT NOT NULL,
                title TEXT NOT NULL,
                offence TEXT,
                status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
                lead_investigator BIGINT NOT NULL REFERENCES account(id),
                opened_by BIGINT NOT NULL REFERENCES account(id),
                opened_at TIMESTAMPTZ NOT NULL,
                closed_at TIMESTAMPTZ,
                -- The authority's decision, all NULL until one is recorded.
                authorisation TEXT CHECK (authorisation IN ('granted', 'refused')),
                authorisation_reference TEXT,
                authorisation_authority TEXT,
                authorisation_decided_at TIMESTAMPTZ,
                authorisation_recorded_by BIGINT REFERENCES account(id),
                authorisation_recorded_at TIMESTAMPTZ,
                -- An urgent case's first search without a decision, which starts its 48 hours.
                urgent_since TIMESTAMPTZ,
                urgent_entry BIGINT,
                -- Refused, or its 48 hours passed without a decision: no more searches.
                blocked_at TIMESTAMPTZ,
                blocked_reason TEXT,
                UNIQUE (organization_id, number)
            )
            """,
            "CREATE INDEX investigation_case_by_org ON investigation_case (organization_id, status)",
            // Whether a case's searches need the authority's decision first ('required'), or may
            // start before it, with the decision due within 48 hours ('urgent').
            """
            ALTER TABLE organization ADD COLUMN case_authorisation TEXT NOT NULL DEFAULT 'required'
                CHECK (case_authorisation IN ('required', 'urgent'))
            """,
        ]),
        // SQLite's v17.
        Migration(version: 9, name: "training records", statements: [
            """
            CREATE TABLE training_record (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                account_id BIGINT NOT NULL REFERENCES account(id),
                course TEXT NOT NULL,
                completed_on TIMESTAMPTZ NOT NULL,
                recorded_by BIGINT REFERENCES account(id),   -- NULL: the command line
                recorded_at TIMESTAMPTZ NOT NULL
            )
            """,
            "CREATE INDEX training_record_by_account ON training_record (account_id, completed_on)",
            // How many months a training record lets its account search.
            "ALTER TABLE organization ADD COLUMN training_validity_months INTEGER NOT NULL DEFAULT 12",
        ]),
        // SQLite's v18.
        Migration(version: 10, name: "examiners and their reviews of candidates", statements: [
            "ALTER TABLE account DROP CONSTRAINT account_role_check",
            """
            ALTER TABLE account ADD CONSTRAINT account_role_check
                CHECK (role IN ('admin', 'supervisor', 'investigator', 'auditor', 'examiner'))
            """,
            """
            CREATE TABLE candidate_review (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                organization_id BIGINT NOT NULL REFERENCES organization(id),
                search_entry BIGINT NOT NULL REFERENCES audit_entry(id),
                face_id BIGINT NOT NULL,             -- no reference: the face may be erased since
                reviewer_id BIGINT NOT NULL REFERENCES account(id),
                features TEXT NOT NULL,              -- JSON object: feature → observation
                notes TEXT,
                conclusion TEXT NOT NULL,
                reviewed_at TIMESTAMPTZ NOT NULL,
                audit_entry BIGINT NOT NULL REFERENCES audit_entry(id),
                UNIQUE (search_entry, face_id, reviewer_id)
            )
            """,
        ]),
        // SQLite's v19.
        Migration(version: 11, name: "probe faces of searches; audit entries by case", statements: [
            """
            CREATE TABLE search_probe_face (
                entry_id BIGINT PRIMARY KEY REFERENCES audit_entry(id),
                jpeg BYTEA NOT NULL,
                landmarks TEXT NOT NULL              -- "x,y x,y …" on the chip
            )
            """,
            // A case's entries: its page and its report.
            "CREATE INDEX audit_entry_by_case ON audit_entry (organization_id, case_number)",
        ]),
        // SQLite's v20.
        Migration(version: 12, name: "probes kept on watch", statements: [
            """
            CREATE TABLE watch (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                organization_id BIGINT NOT NULL REFERENCES organization(id),
                case_id BIGINT NOT NULL REFERENCES investigation_case(id),
                owner_id BIGINT NOT NULL REFERENCES account(id),
                search_entry BIGINT NOT NULL REFERENCES audit_entry(id),
                probe_sha256 TEXT,
                opened_at TIMESTAMPTZ NOT NULL,
                expires_at TIMESTAMPTZ NOT NULL,
                cursor BIGINT NOT NULL,              -- the index_log sequence matched up to
                match_count INTEGER NOT NULL DEFAULT 0,
                last_match_entry BIGINT REFERENCES audit_entry(id),
                ended_at TIMESTAMPTZ,
                end_reason TEXT,
                -- The probe, held while the watch is open, deleted when it ends.
                dlib_template BYTEA,
                sface_template BYTEA,
                probe_jpeg BYTEA,
                probe_landmarks TEXT,
                CHECK ((ended_at IS NULL) = (dlib_template IS NOT NULL AND probe_jpeg IS NOT NULL))
            )
            """,
            "CREATE INDEX watch_by_case ON watch (case_id) WHERE ended_at IS NULL",
            "CREATE INDEX watch_by_org ON watch (organization_id)",
        ]),
        // SQLite's v21: a search's candidates leave the append-only entry, as its thumbnail did.
        Migration(version: 13, name: "candidate lists apart from their audit entries", statements: [
            """
            CREATE TABLE audit_candidates (
                entry_id BIGINT PRIMARY KEY REFERENCES audit_entry(id),
                sha256 TEXT NOT NULL,
                candidates TEXT,                     -- JSON array of {face, distance, band}; NULL once deleted
                deleted_at TIMESTAMPTZ
            )
            """,
            """
            CREATE FUNCTION audit_candidates_only_deleted() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'DELETE' OR NEW.entry_id IS DISTINCT FROM OLD.entry_id OR NEW.sha256 IS DISTINCT FROM OLD.sha256
                   OR NEW.candidates IS NOT NULL THEN
                    RAISE EXCEPTION 'audit candidate lists can only be deleted';
                END IF;
                RETURN NEW;
            END
            $$
            """,
            """
            CREATE TRIGGER audit_candidates_only_deleted BEFORE UPDATE OR DELETE ON audit_candidates
                FOR EACH ROW EXECUTE FUNCTION audit_candidates_only_deleted()
            """,
            """
            CREATE TRIGGER audit_candidates_no_truncate BEFORE TRUNCATE ON audit_candidates
                FOR EACH STATEMENT EXECUTE FUNCTION audit_entry_refuse_change()
            """,
        ]),
    ]
}
