-- The revocation statements of the Vault role: OpenBao fills in {{name}} and runs them in one
-- transaction. One statement per line; lines starting with -- are comments.
--
-- Drops the user, which also ends its membership in the owner role and with it the right to
-- connect, then ends the sessions still open under it (vault-datasource has closed its own by
-- then; an owner-session user's would otherwise keep acting as the owner role). Ending them last
-- leaves a login no time to get in: logins see nothing of the transaction until its commit, and a
-- pool logs in again the moment its session ends; with the sessions ended first, that login got in
-- under a user about to be dropped and failed its next query with 42501. pg_stat_activity names no
-- user once it is dropped, so its oid is kept for the transaction first (NULLIF: a setting made
-- once reads as '' in the connection's later transactions). The management user is NOINHERIT, so
-- it takes pg_signal_backend for the last statement: PostgreSQL 15 refuses a plain
-- pg_terminate_backend, and the whole revocation would fail whenever a session is still open.
-- SET LOCAL ends with the transaction.
SELECT set_config('vault_datasource.revoked_user', oid::text, true) FROM pg_roles WHERE rolname = '{{name}}';
DROP ROLE IF EXISTS "{{name}}";
SET LOCAL ROLE pg_signal_backend;
SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE usesysid = NULLIF(current_setting('vault_datasource.revoked_user', true), '')::oid;
