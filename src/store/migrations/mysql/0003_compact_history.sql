-- 0003_compact_history (issue #16, SQLite's 0009): times in jobs, audit and id_map become integers (microseconds
-- since 1970 UTC), payload hashes their 32 bytes, the id map's store and company numbers from a table of names
-- (its entity index puts the company last, so searches by store, kind and id use it). Each time is rewritten in
-- place as the decimal text of its number, then the column becomes BIGINT (an exact conversion); a hash column
-- becomes bytes, its hex is decoded, and it is narrowed to BINARY(32). The CHECKs on the hash's length go before
-- the hex is decoded: MariaDB's (a column's own) with the column's new type, MySQL's (the table's, named
-- jobs_chk_N) are looked up and dropped. Every statement may run again after a crash (the store skips "already
-- dropped" and "already there"); the rewrites only touch values still in the old form.
UPDATE {prefix}jobs SET
    next_attempt_at = TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00',
                                    STR_TO_DATE(next_attempt_at, '%Y-%m-%dT%H:%i:%s.%fZ')),
    lease_expires_at = TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00',
                                     STR_TO_DATE(lease_expires_at, '%Y-%m-%dT%H:%i:%s.%fZ')),
    created_at = TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', STR_TO_DATE(created_at, '%Y-%m-%dT%H:%i:%s.%fZ')),
    updated_at = TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', STR_TO_DATE(updated_at, '%Y-%m-%dT%H:%i:%s.%fZ'))
WHERE created_at LIKE '____-__-__T%'
-- ;;
ALTER TABLE {prefix}jobs MODIFY next_attempt_at BIGINT NOT NULL, MODIFY lease_expires_at BIGINT NULL,
    MODIFY created_at BIGINT NOT NULL, MODIFY updated_at BIGINT NOT NULL
-- ;;
ALTER TABLE {prefix}jobs MODIFY payload_hash VARBINARY(64) NOT NULL
-- ;;
SET @mlc_drop = (SELECT GROUP_CONCAT(CONCAT('DROP CONSTRAINT `', tc.CONSTRAINT_NAME, '`'))
    FROM information_schema.TABLE_CONSTRAINTS tc
    JOIN information_schema.CHECK_CONSTRAINTS cc
      ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
    WHERE tc.TABLE_SCHEMA = DATABASE() AND tc.TABLE_NAME = '{prefix}jobs' AND tc.CONSTRAINT_TYPE = 'CHECK'
      AND cc.CHECK_CLAUSE LIKE '%payload\_hash%')
-- ;;
SET @mlc_sql = IF(@mlc_drop IS NULL, 'DO 0', CONCAT('ALTER TABLE {prefix}jobs ', @mlc_drop))
-- ;;
PREPARE mlc_stmt FROM @mlc_sql
-- ;;
EXECUTE mlc_stmt
-- ;;
DEALLOCATE PREPARE mlc_stmt
-- ;;
UPDATE {prefix}jobs SET payload_hash = UNHEX(payload_hash) WHERE LENGTH(payload_hash) = 64
-- ;;
ALTER TABLE {prefix}jobs MODIFY payload_hash BINARY(32) NOT NULL
-- ;;
ALTER TABLE {prefix}id_map MODIFY payload_hash VARBINARY(64) NOT NULL
-- ;;
SET @mlc_drop = (SELECT GROUP_CONCAT(CONCAT('DROP CONSTRAINT `', tc.CONSTRAINT_NAME, '`'))
    FROM information_schema.TABLE_CONSTRAINTS tc
    JOIN information_schema.CHECK_CONSTRAINTS cc
      ON cc.CONSTRAINT_SCHEMA = tc.CONSTRAINT_SCHEMA AND cc.CONSTRAINT_NAME = tc.CONSTRAINT_NAME
    WHERE tc.TABLE_SCHEMA = DATABASE() AND tc.TABLE_NAME = '{prefix}id_map' AND tc.CONSTRAINT_TYPE = 'CHECK'
      AND cc.CHECK_CLAUSE LIKE '%payload\_hash%')
-- ;;
SET @mlc_sql = IF(@mlc_drop IS NULL, 'DO 0', CONCAT('ALTER TABLE {prefix}id_map ', @mlc_drop))
-- ;;
PREPARE mlc_stmt FROM @mlc_sql
-- ;;
EXECUTE mlc_stmt
-- ;;
DEALLOCATE PREPARE mlc_stmt
-- ;;
UPDATE {prefix}id_map SET payload_hash = UNHEX(payload_hash), posted_at =
    TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', STR_TO_DATE(posted_at, '%Y-%m-%dT%H:%i:%s.%fZ'))
WHERE LENGTH(payload_hash) = 64
-- ;;
ALTER TABLE {prefix}id_map MODIFY payload_hash BINARY(32) NOT NULL, MODIFY posted_at BIGINT NOT NULL
-- ;;
DROP TRIGGER IF EXISTS {prefix}audit_no_update
-- ;;
UPDATE {prefix}audit SET at = TIMESTAMPDIFF(MICROSECOND, '1970-01-01 00:00:00', STR_TO_DATE(at, '%Y-%m-%dT%H:%i:%s.%fZ'))
WHERE at LIKE '____-__-__T%'
-- ;;
ALTER TABLE {prefix}audit MODIFY at BIGINT NOT NULL
-- ;;
ALTER TABLE {prefix}audit DROP INDEX audit_at
-- ;;
ALTER TABLE {prefix}audit DROP INDEX audit_entity
-- ;;
CREATE INDEX audit_woo ON {prefix}audit (woo_id)
-- ;;
CREATE TRIGGER {prefix}audit_no_update BEFORE UPDATE ON {prefix}audit FOR EACH ROW
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'audit rows are append-only'
-- ;;
CREATE TABLE IF NOT EXISTS {prefix}names (
    id   BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    UNIQUE KEY names_name (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin
-- ;;
ALTER TABLE {prefix}id_map ADD COLUMN store_ref BIGINT NULL, ADD COLUMN company_ref BIGINT NULL
-- ;;
SET @mlc_old = (SELECT count(*) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE()
    AND TABLE_NAME = '{prefix}id_map' AND COLUMN_NAME = 'company')
-- ;;
SET @mlc_sql = IF(@mlc_old = 0, 'DO 0', 'INSERT IGNORE INTO {prefix}names (name)
    SELECT store_id FROM {prefix}id_map UNION SELECT company FROM {prefix}id_map')
-- ;;
PREPARE mlc_stmt FROM @mlc_sql
-- ;;
EXECUTE mlc_stmt
-- ;;
DEALLOCATE PREPARE mlc_stmt
-- ;;
SET @mlc_sql = IF(@mlc_old = 0, 'DO 0', 'UPDATE {prefix}id_map
    SET store_ref = (SELECT n.id FROM {prefix}names n WHERE n.name = store_id),
        company_ref = (SELECT n.id FROM {prefix}names n WHERE n.name = company)')
-- ;;
PREPARE mlc_stmt FROM @mlc_sql
-- ;;
EXECUTE mlc_stmt
-- ;;
DEALLOCATE PREPARE mlc_stmt
-- ;;
ALTER TABLE {prefix}id_map DROP INDEX id_map_entity
-- ;;
ALTER TABLE {prefix}id_map DROP INDEX id_map_document
-- ;;
ALTER TABLE {prefix}id_map DROP COLUMN store_id, DROP COLUMN company
-- ;;
ALTER TABLE {prefix}id_map MODIFY store_ref BIGINT NOT NULL, MODIFY company_ref BIGINT NOT NULL
-- ;;
CREATE UNIQUE INDEX id_map_entity ON {prefix}id_map (store_ref, woo_kind, woo_id, company_ref)
-- ;;
CREATE UNIQUE INDEX id_map_document ON {prefix}id_map (company_ref, woo_kind, document_key)
