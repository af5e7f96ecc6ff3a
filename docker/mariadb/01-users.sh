#!/bin/bash
# First start of the MariaDB container: two least-privilege users on the deep_classiflie database only.
#   dc_migrate — schema changes (`deep-classiflie db upgrade`, Optuna's study tables) and data;
#   dc_app     — the service, publisher and bot: read and write rows, no DDL, no other database, no GRANT.
# (The original granted ALL on *.* to '%'.) Passwords come from the container's environment.
set -euo pipefail
mariadb --protocol=socket -uroot -p"${MARIADB_ROOT_PASSWORD}" <<SQL
CREATE USER IF NOT EXISTS 'dc_migrate'@'%' IDENTIFIED BY '${DC_MIGRATE_PASSWORD}';
CREATE USER IF NOT EXISTS 'dc_app'@'%' IDENTIFIED BY '${DC_APP_PASSWORD}';
GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, REFERENCES, LOCK TABLES
  ON deep_classiflie.* TO 'dc_migrate'@'%';
GRANT SELECT, INSERT, UPDATE, DELETE ON deep_classiflie.* TO 'dc_app'@'%';
FLUSH PRIVILEGES;
SQL
