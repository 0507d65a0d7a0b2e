-- Prepares a PostgreSQL database for OpenBao's database secrets engine with the owner-role pattern
-- of docs/getting-started.md. Run by a superuser connected to the application database; safe to
-- run again. OpenBaoContainer (over JDBC) and scripts/services.sh (with psql) both read this file:
-- they fill in the @...@ names, and run one statement per line; lines starting with -- are comments.
--
-- The owner role owns the application's objects; every issued user is a member and gets all its
-- access, the right to connect included, from it.
DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '@owner_role@') THEN CREATE ROLE "@owner_role@" NOLOGIN; END IF; END $$;
ALTER ROLE "@owner_role@" WITH NOLOGIN;
-- OpenBao logs in as the management user (its password is set by the caller, then rotated by
-- OpenBao). NOINHERIT: as a member of the owner role it would otherwise act as the owner, holding
-- no table access of its own, and a REVOKE it ran would miss the grants it made itself.
DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '@management_user@') THEN CREATE ROLE "@management_user@"; END IF; END $$;
ALTER ROLE "@management_user@" WITH LOGIN CREATEROLE NOINHERIT;
-- lets it create users IN ROLE owner, and end the sessions of a user it revokes
GRANT "@owner_role@" TO "@management_user@" WITH ADMIN OPTION;
GRANT pg_signal_backend TO "@management_user@";
-- Only the owner role's members, the management user and the administrator may connect. PUBLIC
-- holds CONNECT on every new database: while it does, any login role of the server connects,
-- and taking CONNECT or the owner role away from a user that still exists does not lock it out.
-- The management user holds it with grant option for creation statements of your own that grant it.
REVOKE CONNECT ON DATABASE "@database@" FROM PUBLIC;
GRANT CONNECT ON DATABASE "@database@" TO "@owner_role@";
GRANT CONNECT ON DATABASE "@database@" TO "@management_user@" WITH GRANT OPTION;
GRANT CONNECT ON DATABASE "@database@" TO "@admin_user@";
-- PostgreSQL 15 no longer lets every role create in schema public.
GRANT USAGE, CREATE ON SCHEMA public TO "@owner_role@";
-- The owner role may use the tables and sequences the administrator made, now and later.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "@owner_role@";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "@owner_role@";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO "@owner_role@";
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO "@owner_role@";
-- The management user can only grant what it holds with grant option: for creation statements of
-- your own that grant table access directly instead of through the owner role.
GRANT USAGE ON SCHEMA public TO "@management_user@" WITH GRANT OPTION;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO "@management_user@" WITH GRANT OPTION;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO "@management_user@" WITH GRANT OPTION;
