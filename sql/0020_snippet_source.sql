-- 0020: the text a catalogue snippet is cut from. ts_headline parses every character it is given, and a
-- description may hold 20,000 of them, for each of a page's 20 hits. So the snippet comes from the name, the
-- summary and at most 2,000 characters of the description: its start, or, when the first of the query's
-- words to appear in it comes later, from a little before that word, at a word boundary. A Swedish stem is
-- the start of the words it comes from, so where the stem first appears is where a match first begins.

-- The window of a long description.
CREATE FUNCTION avrop.description_window(p_description text, p_query tsquery) RETURNS text
    LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
    AS $$
        DECLARE
            lexeme text;
            first integer;
        BEGIN
            -- The query's lexemes from its text form ('digital' & 'tjänst'; a quote inside one is doubled),
            -- looked for as written and capitalised: lower() of the whole description would cost more than
            -- the parse it saves.
            FOR lexeme IN SELECT replace(m[1], '''''', '''') FROM regexp_matches(p_query::text, '''((?:[^'']|'''')+)''', 'g') AS m LOOP
                first := least(first, nullif(strpos(p_description, lexeme), 0), nullif(strpos(p_description, initcap(lexeme)), 0));
            END LOOP;
            IF first IS NULL OR first <= 200 THEN
                RETURN left(p_description, 2000);
            END IF;
            RETURN regexp_replace(substr(p_description, first - 200, 2000), '^\S*\s+', '');
        END
    $$;

-- One expression, so the planner inlines it: a short description (most) costs no function call.
CREATE FUNCTION avrop.snippet_source(p_name text, p_summary text, p_description text, p_query tsquery) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$
        SELECT p_name || '. ' || p_summary || ' '
            || CASE WHEN length(p_description) <= 2000 THEN p_description ELSE avrop.description_window(p_description, p_query) END
    $$;
GRANT EXECUTE ON FUNCTION avrop.description_window(text, tsquery), avrop.snippet_source(text, text, text, tsquery) TO avrop_app;
