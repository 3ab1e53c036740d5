-- Clusters: indexed columns for what the API filters and sorts on; the type-specific
-- settings (URLs, certificates, storages, Spark defaults) as one JSON document.
CREATE TABLE clusters (
    id           TEXT PRIMARY KEY NOT NULL,
    name         TEXT NOT NULL COLLATE NOCASE UNIQUE,
    description  TEXT NOT NULL DEFAULT '',
    type         TEXT NOT NULL CHECK (type IN ('local', 'standalone', 'k8s')),
    spec         TEXT NOT NULL CHECK (json_valid(spec)),
    created_time INTEGER NOT NULL,
    updated_time INTEGER NOT NULL
);
CREATE INDEX clusters_type ON clusters (type);
CREATE INDEX clusters_created_time ON clusters (created_time);
CREATE INDEX clusters_updated_time ON clusters (updated_time);
