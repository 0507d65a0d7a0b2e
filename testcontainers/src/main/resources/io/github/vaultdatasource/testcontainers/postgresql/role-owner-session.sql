-- Added to role-creation.sql for an owner-session role: the user's sessions act as the owner role
-- (current_user is the owner, session_user the issued user), so that what it creates, Flyway's
-- or Liquibase's migrations for one, belongs to the owner role, outlives the user and does not
-- stop DROP ROLE on revocation. Same format as role-creation.sql.
ALTER ROLE "{{name}}" SET role = '@owner_role@';
