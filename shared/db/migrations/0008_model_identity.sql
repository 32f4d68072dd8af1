-- benchhub schema, part 8: model identity, how every name was matched, and data dates.
--
-- models:
--   * origin: catalog (models.dev, OpenRouter: a model a team can call), seed (shipped with benchhub)
--     or benchmark (a provisional model created for a board's name no catalog lists; removed once no
--     observation or alias refers to it).
--   * identity_name: the spelling the model's identity (line, version, stage, mode) is read from.
--   * family: the family id (`openai/gpt-4o`) grouping a line's versions and sibling variants.
-- observations:
--   * match_method / match_detail: how source_model_name was matched to model_id (alias, exact,
--     created, version, size, mode) and why, in words; NULL while unmatched.
--   * data_date: when the upstream measured or published the value (a publish date, a date in the
--     payload, the document's Last-Modified, else the first snapshot in which the value appeared).
--     Freshness, as_of and rank change use it; snapshot_date stays the history key.
-- ingestion_runs / source_state: the data dates a run wrote, and the models it created.

ALTER TABLE models
    ADD COLUMN origin        text NOT NULL DEFAULT 'catalog'
                             CHECK (origin IN ('catalog', 'seed', 'benchmark')),
    ADD COLUMN identity_name text;
UPDATE models SET identity_name = id;
ALTER TABLE models ALTER COLUMN identity_name SET NOT NULL;
CREATE INDEX models_family_idx ON models (family);

COMMENT ON COLUMN models.origin IS 'catalog | seed | benchmark (provisional: created for a board''s name no catalog lists).';
COMMENT ON COLUMN models.identity_name IS 'Spelling the identity (line, version, stage, mode) is read from.';
COMMENT ON COLUMN models.family IS 'Family id, e.g. openai/gpt-4o: a line''s versions and sibling variants.';

ALTER TABLE observations
    ADD COLUMN match_method text CHECK (match_method IS NULL OR match_method IN
                                  ('alias', 'exact', 'created', 'version', 'size', 'mode')),
    ADD COLUMN match_detail text,
    ADD COLUMN data_date    date;

COMMENT ON COLUMN observations.match_method IS 'How source_model_name was matched: alias | exact | created | version | size | mode.';
COMMENT ON COLUMN observations.match_detail IS 'Why, in words (e.g. undated name; version current on 2024-08-31).';
COMMENT ON COLUMN observations.data_date IS 'When upstream measured or published the value; NULL reads as snapshot_date.';

ALTER TABLE ingestion_runs
    ADD COLUMN oldest_data_date date,
    ADD COLUMN newest_data_date date,
    ADD COLUMN models_created   integer NOT NULL DEFAULT 0 CHECK (models_created >= 0);

COMMENT ON COLUMN ingestion_runs.oldest_data_date IS 'Oldest data date among the values the run wrote.';
COMMENT ON COLUMN ingestion_runs.newest_data_date IS 'Newest data date among the values the run wrote.';
COMMENT ON COLUMN ingestion_runs.models_created IS 'Canonical models the run created.';

ALTER TABLE source_state
    ADD COLUMN newest_data_date date;

COMMENT ON COLUMN source_state.newest_data_date IS 'Newest data date of the source''s last successful run.';
