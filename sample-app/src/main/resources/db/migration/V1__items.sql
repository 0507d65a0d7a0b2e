-- Runs as the Vault-issued user, whose sessions act as the stable owner role (see docs/getting-started.md),
-- so the table is owned by that role and revoking the short-lived user never finds objects it owns.
CREATE TABLE IF NOT EXISTS items (
  id bigserial PRIMARY KEY,
  name text NOT NULL,
  created_at timestamptz DEFAULT now()
);
