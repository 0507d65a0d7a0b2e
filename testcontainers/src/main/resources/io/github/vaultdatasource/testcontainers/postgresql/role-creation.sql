-- The creation statements of the Vault role: OpenBao fills in {{name}}, {{password}} and
-- {{expiration}}; OpenBaoContainer and scripts/services.sh fill in @owner_role@. One statement
-- per line; lines starting with -- are comments.
--
-- The user expires with its lease (VALID UNTIL, moved on by each renewal) and gets all its access,
-- the right to connect included, from the owner role. Grants ON ALL TABLES here would fail, and
-- issuing with them, as soon as the application created a table the management user holds
-- nothing on (Flyway's history table, for one).
CREATE ROLE "{{name}}" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}' IN ROLE "@owner_role@";
