-- The revocation statements of the Vault role: OpenBao fills in {{name}} and runs them in one
-- transaction. One statement per line; lines starting with -- are comments.
--
-- Ends the sessions still open under the user (vault-datasource has closed its own by then; an
-- owner-session user's would otherwise keep acting as the owner role), then drops it, which also
-- ends its membership in the owner role and with it the right to connect. The management user is
-- NOINHERIT, so it takes pg_signal_backend for the one statement: PostgreSQL 15 refuses a plain
-- pg_terminate_backend, and the whole revocation would fail whenever a session is still open.
-- SET LOCAL does not outlive the transaction.
SET LOCAL ROLE pg_signal_backend;
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usename = '{{name}}';
RESET ROLE;
DROP ROLE IF EXISTS "{{name}}";
