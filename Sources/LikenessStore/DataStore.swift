/// Everything Likeness keeps in its database: the gallery, who may do what and the audit of
/// it, and the ingest queue. Both backends (`LikenessStoreSQLite`, `LikenessStorePostgres`)
/// keep all of it, so code above the store needs no downcast to reach any part.
public typealias DataStore = GalleryStore & GovernanceStore & IngestQueue
