-- 0020: the text a catalogue snippet is cut from. ts_headline parses every character it is given, and a
-- description may hold 20,000 of them, for each of a page's 20 hits. So the snippet comes from the name, the
-- summary and at most 2,000 characters of the description: its start, or, when the first of the query's
-- words to appear in it comes later, from a little before that word, at a word boundary. A Swedish stem is
-- the start of the words it comes from, so where the stem first appears is where a match first begins.
CREATE FUNCTION avrop.snippet_source(p_name text, p_summary text, p_description text, p_query tsquery) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
        SELECT p_name || '. ' || p_summary || ' ' || CASE
            WHEN length(p_description) <= 2000 THEN p_description
            WHEN w.first IS NULL OR w.first <= 200 THEN left(p_description, 2000)
            ELSE regexp_replace(substr(p_description, w.first - 200, 2000), '^\S*\s+', '')
        END
        FROM (
            -- The query's lexemes from its text form ('digital' & 'tjänst'; a quote inside one is doubled),
            -- looked for as written and capitalised: lower() of the whole description would cost more than
            -- the parse it saves.
            SELECT min(least(nullif(strpos(p_description, l.lexeme), 0), nullif(strpos(p_description, initcap(l.lexeme)), 0))) AS first
            FROM regexp_matches(p_query::text, '''((?:[^'']|'''')+)''', 'g') AS m, LATERAL (SELECT replace(m[1], '''''', '''') AS lexeme) AS l
            WHERE length(p_description) > 2000
        ) AS w
    $$;
GRANT EXECUTE ON FUNCTION avrop.snippet_source(text, text, text, tsquery) TO avrop_app;
