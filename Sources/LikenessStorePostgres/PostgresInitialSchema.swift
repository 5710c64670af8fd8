extension PostgresSchema {
    /// Migration 1: every table as SQLite's first nine migrations left them.
    static let initialSchema = Migration(version: 1, name: "collections, images, faces, ingest jobs, index log, governance", statements: [
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
    ])
}
