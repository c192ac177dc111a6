-- Every user object of the current database as rows of
-- (kind, schema, name, parent_kind, parent_name, key, value): one row with a NULL key per object
-- (so objects without properties exist), one per property that has a value. Names are
-- quote_ident'ed, so a qualified name is unambiguous; no OID leaves the query.
-- The marker in the `excluded` array is replaced by string literals naming the tables to leave out.
SELECT * FROM (
WITH ns AS (
    SELECT n.oid, n.nspname FROM pg_namespace n
    WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp\_%'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_namespace'::regclass
                      AND d.objid = n.oid AND d.deptype = 'e')
),
member AS (SELECT classid, objid FROM pg_depend WHERE deptype = 'e'),
excluded AS (SELECT to_regclass(x) AS oid FROM unnest(ARRAY[/*EXCLUDED*/]::text[]) x),
rel AS (
    SELECT c.oid, c.relname, c.relkind, c.relpersistence, c.relrowsecurity,
           c.relforcerowsecurity, c.relpartbound, n.nspname,
           CASE WHEN c.relkind IN ('r', 'p', 'f') THEN 'table' WHEN c.relkind = 'v' THEN 'view'
                WHEN c.relkind = 'm' THEN 'materialized_view' ELSE 'sequence' END AS kind
    FROM pg_class c JOIN ns n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'f', 'v', 'm', 'S')
      AND c.oid NOT IN (SELECT oid FROM excluded WHERE oid IS NOT NULL)
      AND NOT EXISTS (SELECT 1 FROM member e WHERE e.classid = 'pg_class'::regclass AND e.objid = c.oid)
)
SELECT 'schema', NULL::text, quote_ident(nspname), NULL::text, NULL::text, NULL::text, NULL::text FROM ns
UNION ALL
SELECT 'extension', NULL, quote_ident(x.extname), NULL, NULL, p.key, p.value
FROM pg_extension x JOIN pg_namespace n ON n.oid = x.extnamespace
CROSS JOIN LATERAL (VALUES (NULL, NULL), ('version', x.extversion), ('schema', quote_ident(n.nspname))) p(key, value)
UNION ALL
SELECT r.kind, quote_ident(r.nspname), quote_ident(r.relname), NULL, NULL, p.key, p.value
FROM rel r CROSS JOIN LATERAL (VALUES
    (NULL, NULL),
    ('table_kind', CASE r.relkind WHEN 'r' THEN 'ordinary' WHEN 'p' THEN 'partitioned' WHEN 'f' THEN 'foreign' END),
    ('persistence', CASE WHEN r.relkind IN ('r', 'p', 'S', 'm') THEN CASE r.relpersistence WHEN 'u' THEN 'unlogged' ELSE 'permanent' END END),
    ('row_level_security', CASE WHEN r.relkind IN ('r', 'p') THEN r.relrowsecurity::text END),
    ('force_row_level_security', CASE WHEN r.relkind IN ('r', 'p') THEN r.relforcerowsecurity::text END),
    ('partition_bound', pg_get_expr(r.relpartbound, r.oid)),
    ('partition_key', CASE WHEN r.relkind = 'p' THEN pg_get_partkeydef(r.oid) END),
    ('inherits', (SELECT string_agg(i.inhparent::regclass::text, ', ' ORDER BY i.inhseqno) FROM pg_inherits i WHERE i.inhrelid = r.oid)),
    ('definition', CASE WHEN r.relkind IN ('v', 'm') THEN pg_get_viewdef(r.oid, true) END)
) p(key, value)
WHERE r.kind <> 'sequence'
UNION ALL
SELECT 'sequence', quote_ident(r.nspname), quote_ident(r.relname), owner.kind, owner.name, p.key, p.value
FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid
LEFT JOIN LATERAL (
    SELECT 'table'::text AS kind, quote_ident(t.relname) AS name FROM pg_depend d JOIN pg_class t ON t.oid = d.refobjid
    WHERE d.classid = 'pg_class'::regclass AND d.objid = r.oid AND d.refclassid = 'pg_class'::regclass
      AND d.deptype IN ('a', 'i') LIMIT 1
) owner ON true
CROSS JOIN LATERAL (VALUES
    (NULL, NULL), ('type', format_type(s.seqtypid, NULL)), ('start', s.seqstart::text),
    ('increment', s.seqincrement::text), ('min', s.seqmin::text), ('max', s.seqmax::text),
    ('cache', s.seqcache::text), ('cycle', s.seqcycle::text)
) p(key, value)
WHERE r.kind = 'sequence'
UNION ALL
SELECT 'column', quote_ident(r.nspname), quote_ident(r.relname) || '.' || quote_ident(a.attname),
       'table', quote_ident(r.relname), p.key, p.value
FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_type t ON t.oid = a.atttypid
LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> t.typcollation
CROSS JOIN LATERAL (VALUES
    (NULL, NULL), ('type', format_type(a.atttypid, a.atttypmod)), ('not_null', a.attnotnull::text),
    ('default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END),
    ('generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END),
    ('identity', CASE a.attidentity WHEN 'a' THEN 'always' WHEN 'd' THEN 'by default' END),
    ('collation', quote_ident(co.collname))
) p(key, value)
WHERE r.kind = 'table'
UNION ALL
SELECT 'constraint', quote_ident(r.nspname), quote_ident(r.relname) || '.' || quote_ident(c.conname),
       'table', quote_ident(r.relname), p.key, p.value
FROM rel r JOIN pg_constraint c ON c.conrelid = r.oid
CROSS JOIN LATERAL (VALUES (NULL, NULL), ('definition', pg_get_constraintdef(c.oid))) p(key, value)
UNION ALL
SELECT 'index', quote_ident(r.nspname), quote_ident(ic.relname), r.kind, quote_ident(r.relname), p.key, p.value
FROM rel r JOIN pg_index i ON i.indrelid = r.oid JOIN pg_class ic ON ic.oid = i.indexrelid
CROSS JOIN LATERAL (VALUES (NULL, NULL), ('definition', pg_get_indexdef(i.indexrelid)), ('valid', i.indisvalid::text)) p(key, value)
UNION ALL
SELECT 'trigger', quote_ident(r.nspname), quote_ident(r.relname) || '.' || quote_ident(t.tgname),
       r.kind, quote_ident(r.relname), p.key, p.value
FROM rel r JOIN pg_trigger t ON t.tgrelid = r.oid AND NOT t.tgisinternal
CROSS JOIN LATERAL (VALUES
    (NULL, NULL), ('definition', pg_get_triggerdef(t.oid)),
    ('enabled', CASE t.tgenabled WHEN 'O' THEN 'enabled' WHEN 'D' THEN 'disabled' WHEN 'R' THEN 'replica only' WHEN 'A' THEN 'always' END)
) p(key, value)
UNION ALL
SELECT 'policy', quote_ident(r.nspname), quote_ident(r.relname) || '.' || quote_ident(pol.polname),
       'table', quote_ident(r.relname), p.key, p.value
FROM rel r JOIN pg_policy pol ON pol.polrelid = r.oid
CROSS JOIN LATERAL (VALUES
    (NULL, NULL),
    ('command', CASE pol.polcmd WHEN 'r' THEN 'SELECT' WHEN 'a' THEN 'INSERT' WHEN 'w' THEN 'UPDATE' WHEN 'd' THEN 'DELETE' ELSE 'ALL' END),
    ('permissive', pol.polpermissive::text),
    ('roles', (SELECT string_agg(CASE WHEN o = 0 THEN 'PUBLIC' ELSE quote_ident(pg_get_userbyid(o)) END, ', ' ORDER BY 1) FROM unnest(pol.polroles) o)),
    ('using', pg_get_expr(pol.polqual, pol.polrelid)),
    ('with_check', pg_get_expr(pol.polwithcheck, pol.polrelid))
) p(key, value)
UNION ALL
SELECT CASE f.prokind WHEN 'p' THEN 'procedure' ELSE 'function' END, quote_ident(n.nspname),
       quote_ident(f.proname) || '(' || pg_get_function_identity_arguments(f.oid) || ')', NULL, NULL, p.key, p.value
FROM pg_proc f JOIN ns n ON n.oid = f.pronamespace
CROSS JOIN LATERAL (VALUES (NULL, NULL), ('definition', pg_get_functiondef(f.oid))) p(key, value)
WHERE f.prokind <> 'a'
  AND NOT EXISTS (SELECT 1 FROM member e WHERE e.classid = 'pg_proc'::regclass AND e.objid = f.oid)
UNION ALL
SELECT 'aggregate', quote_ident(n.nspname),
       quote_ident(f.proname) || '(' || pg_get_function_identity_arguments(f.oid) || ')', NULL, NULL, p.key, p.value
FROM pg_proc f JOIN ns n ON n.oid = f.pronamespace JOIN pg_aggregate ag ON ag.aggfnoid = f.oid
CROSS JOIN LATERAL (VALUES
    (NULL, NULL), ('transition', ag.aggtransfn::regproc::text), ('state_type', format_type(ag.aggtranstype, NULL)),
    ('final', NULLIF(ag.aggfinalfn::regproc::text, '-')), ('initial', ag.agginitval)
) p(key, value)
WHERE NOT EXISTS (SELECT 1 FROM member e WHERE e.classid = 'pg_proc'::regclass AND e.objid = f.oid)
UNION ALL
SELECT CASE t.typtype WHEN 'e' THEN 'enum' WHEN 'd' THEN 'domain' ELSE 'composite_type' END,
       quote_ident(n.nspname), quote_ident(t.typname), NULL, NULL, p.key, p.value
FROM pg_type t JOIN ns n ON n.oid = t.typnamespace
LEFT JOIN pg_collation co ON co.oid = t.typcollation AND t.typtype = 'd'
     AND t.typcollation <> (SELECT b.typcollation FROM pg_type b WHERE b.oid = t.typbasetype)
CROSS JOIN LATERAL (VALUES
    (NULL, NULL),
    ('labels', CASE WHEN t.typtype = 'e' THEN (SELECT string_agg(quote_literal(e.enumlabel), ', ' ORDER BY e.enumsortorder) FROM pg_enum e WHERE e.enumtypid = t.oid) END),
    ('base_type', CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END),
    ('not_null', CASE WHEN t.typtype = 'd' THEN t.typnotnull::text END),
    ('default', t.typdefault),
    ('collation', quote_ident(co.collname)),
    ('attributes', CASE WHEN t.typtype = 'c' THEN (SELECT string_agg(quote_ident(a.attname) || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum) FROM pg_attribute a WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped) END)
) p(key, value)
WHERE (t.typtype IN ('e', 'd') OR (t.typtype = 'c' AND (SELECT c.relkind FROM pg_class c WHERE c.oid = t.typrelid) = 'c'))
  AND NOT EXISTS (SELECT 1 FROM member e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid)
UNION ALL
SELECT 'constraint', quote_ident(n.nspname), quote_ident(t.typname) || '.' || quote_ident(c.conname),
       'domain', quote_ident(t.typname), p.key, p.value
FROM pg_constraint c JOIN pg_type t ON t.oid = c.contypid JOIN ns n ON n.oid = t.typnamespace
CROSS JOIN LATERAL (VALUES (NULL, NULL), ('definition', pg_get_constraintdef(c.oid))) p(key, value)
WHERE NOT EXISTS (SELECT 1 FROM member e WHERE e.classid = 'pg_type'::regclass AND e.objid = t.oid)
) s (kind, schema, name, parent_kind, parent_name, key, value)
WHERE key IS NULL OR value IS NOT NULL
