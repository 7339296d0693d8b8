-- requires: vector
-- Question memory: every asked question with its SQL and an embedding of its literal-masked text.
-- Needs pgvector; without it the table is not created and questions work without memory.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'vector') THEN
        EXECUTE $ddl$
            CREATE TABLE IF NOT EXISTS pgai.questions (
                id          bigserial PRIMARY KEY,
                question    text NOT NULL,
                template    text NOT NULL,
                literals    jsonb NOT NULL DEFAULT '[]',
                cues        text[] NOT NULL DEFAULT '{}',
                sql         text NOT NULL,
                source      text NOT NULL CHECK (source IN ('memory', 'translator', 'llm', 'teach')),
                verified    boolean NOT NULL DEFAULT false,
                scope       text NOT NULL DEFAULT '',
                embedder    text NOT NULL,
                dim         integer NOT NULL,
                embedding   vector NOT NULL,
                times_asked integer NOT NULL DEFAULT 1,
                asked_at    timestamptz NOT NULL DEFAULT now(),
                verified_at timestamptz
            )
        $ddl$;
        EXECUTE 'CREATE INDEX IF NOT EXISTS questions_hnsw_384 ON pgai.questions
                 USING hnsw ((embedding::vector(384)) vector_cosine_ops) WHERE dim = 384';
        EXECUTE 'CREATE INDEX IF NOT EXISTS questions_scope ON pgai.questions (scope, verified)';
        EXECUTE 'COMMENT ON TABLE pgai.questions IS
                 ''question memory: questions, their SQL, and whether a person verified it''';
    END IF;
END
$$;
