-- 0010: the catalogue's search (issue 4): Swedish full text (stemming, so "digitala tjänster" finds
-- "digital tjänst"), weighted name > summary > description > tags, and trigram similarity for misspellings.

CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;

-- Tags as one text; immutable for text[] (array_to_string is only stable in general, for other types).
CREATE FUNCTION avrop.tags_text(p_tags text[]) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT array_to_string(p_tags, ' ') $$;

ALTER TABLE avrop.solution ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('swedish'::regconfig, name), 'A')
    || setweight(to_tsvector('swedish'::regconfig, summary), 'B')
    || setweight(to_tsvector('swedish'::regconfig, description), 'C')
    || setweight(to_tsvector('swedish'::regconfig, avrop.tags_text(tags)), 'D')
) STORED;
CREATE INDEX solution_search_idx ON avrop.solution USING gin (search_vector);
CREATE INDEX solution_name_trgm_idx ON avrop.solution USING gin (name public.gin_trgm_ops);
CREATE INDEX solution_summary_trgm_idx ON avrop.solution USING gin (summary public.gin_trgm_ops);
CREATE INDEX solution_decided_idx ON avrop.solution (decided_at DESC, id DESC) WHERE status = 'verified';
