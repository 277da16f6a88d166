<?php
/**
 * Signatures of the functions the ml_connector extension exports, for PHPStan and IDEs. Never loaded at runtime.
 * Keep in step with src/php/functions.rs (tests/php/stubs.phpt compares them by reflection).
 *
 * @package MlConnector
 */

declare(strict_types=1);

/**
 * The extension's version; the plugin refuses an extension whose version it does not expect.
 */
function ml_connector_version(): string {}

/**
 * Writes a heartbeat row to <$data_dir>/ml-connector.sqlite and GETs $url (redirects are not followed), both
 * through this worker's own connection and HTTP client. Failures are reported in the array, not thrown.
 *
 * @return array{pid: int, db_path: string, db_ok: bool, db_error: ?string, http_status: ?int, http_error: ?string, elapsed_ms: int}
 * @throws \MlConnector\Exception\InputException When $data_dir is empty or $url is not an http(s) URL (code 2).
 */
function ml_connector_health_check(string $data_dir, string $url): array {}

/**
 * Issue #16: moves the queue from the storage $settings_json names ("storage": "sqlite" or "wordpress") to $to,
 * every row with its id, and marks the old queue moved (its writes then fail with "the queue was moved to …").
 * Save the new storage setting only after this returns.
 *
 * @return array<string, int> Rows copied per table, e.g. ['jobs' => 12, 'audit' => 80].
 * @throws \MlConnector\Exception\InputException When the queue is already in $to (code 2).
 * @throws \MlConnector\Exception\ConfigException For bad settings (code 1).
 * @throws \MlConnector\Exception\StoreException When the destination holds a queue, a drain is sending, or a
 *         database fails; nothing moved (code 5).
 */
function ml_connector_move_queue(string $settings_json, string $data_dir, string $to): mixed {}

/**
 * Test hook: panics with $msg (seen as \MlConnector\Exception\InternalError, code 6) when the environment has
 * ML_CONNECTOR_TEST_HOOKS=1; otherwise throws \MlConnector\Exception\InputException (code 2).
 *
 * @throws \MlConnector\Exception\InternalError
 * @throws \MlConnector\Exception\InputException
 */
function ml_connector_debug_panic(string $msg): void {}

/**
 * Opens this worker's connector: validates the plugin's settings document, opens <$data_dir>/ml-connector.sqlite
 * and derives the credential key from $key_material (>= 16 bytes). Cheap when called again unchanged.
 *
 * @throws \MlConnector\Exception\ConfigException For invalid settings (code 1).
 * @throws \MlConnector\Exception\InputException For an unusable data directory or short key material (code 2).
 * @throws \MlConnector\Exception\StoreException When the queue database cannot be opened (code 5).
 */
function ml_connector_configure(string $settings_json, string $data_dir, string $key_material): void {}

/**
 * Queues a WooCommerce order, customer or refund ({"order":…,"refund":…}) as REST v3 JSON: one short SQLite
 * transaction, no network. Clears the object's note; with $note_seq (from ml_connector_notes) only if it was not
 * noted again since.
 *
 * @return array{job_id: int, outcome: string} outcome: inserted|duplicate|replaced|superseded
 * @throws \MlConnector\Exception\InputException For a bad kind, source or payload (also audited).
 */
function ml_connector_enqueue(string $kind, string $payload_json, string $source, ?int $note_seq = null): mixed {}

/**
 * The only call on a shopper's request: notes that an order, refund or customer changed (one small upsert, no JSON,
 * no network). $parent_id is a refund's order id, else 0. True when newly noted.
 *
 * @throws \MlConnector\Exception\InputException For an unknown kind or an id below 1 (code 2).
 */
function ml_connector_note(string $kind, int $woo_id, int $parent_id): bool {}

/**
 * The oldest noted objects, whose REST JSON the background runner builds and enqueues.
 *
 * @return list<array{kind: string, woo_id: int, parent_id: int, noted_at: string, seq: int}>
 */
function ml_connector_notes(int $limit): mixed {}

/**
 * A noted object could not be read from WooCommerce: drops the note and records the reason in the audit trail.
 */
function ml_connector_note_failed(string $kind, int $woo_id, string $reason): void {}

/**
 * Clears a saved secret; true when one was there.
 */
function ml_connector_delete_secret(string $name): bool {}

/**
 * The invoices and credit notes Visma holds for this store dated in [$from, $to] (YYYY-MM-DD), read from Visma.
 *
 * @return list<array{type: string, visma_number: string, woo_order_id: int, woo_refund_id: ?int, date: string, currency: string, amount_minor: int, vat_minor: int, vat_by_id: array<string, int>, status: string}>
 */
function ml_connector_visma_documents(string $from, string $to): mixed {}

/**
 * Posts due jobs until $limit jobs or $deadline_ms milliseconds.
 *
 * @return array{posted: int, adopted: int, already_posted: int, edited_after_posting: int, skipped: int, retry: int, failed: int, dead: int, lost_lease: int, remaining: int, stopped: bool}
 * @throws \MlConnector\Exception\ConfigException When no Visma secret is saved or the connection is invalid.
 */
function ml_connector_drain(int $limit, int $deadline_ms): mixed {}

/**
 * @return array{counts: array<string, int>, oldest_pending_at: ?string, last_error: ?string, paused: ?array{reason: string, setting: ?string, since: string}, notes: int}
 */
function ml_connector_status(): mixed {}

/**
 * Jobs of every store id, newest first. Filter keys: state, kind, woo_id, per_page, page (1-based).
 *
 * @param array<string, mixed> $filter
 * @return list<array<string, mixed>>
 */
function ml_connector_jobs(array $filter): mixed {}

/**
 * Audit rows, newest first. Filter keys: job_id, kind, woo_id, since (RFC 3339), limit.
 *
 * @param array<string, mixed> $filter
 * @return list<array<string, mixed>>
 */
function ml_connector_audit(array $filter): mixed {}

/**
 * @return array{state: string, visma_number: ?string, last_error: ?string, payment: ?array{visma_number: string}}
 */
function ml_connector_order_state(int $order_id): mixed {}

/**
 * The order's invoice as Visma holds it (read from Visma), for reconciliation; nulls when not posted.
 *
 * @return array{visma_number: ?string, amount_minor: ?int, vat_minor: ?int, currency: ?string}
 */
function ml_connector_visma_totals(int $order_id): mixed {}

/**
 * Queues a failed or dead job again.
 */
function ml_connector_replay(int $job_id): void {}

/**
 * Queues every failed and dead job again ('' = all, else RFC 3339 lower bound); returns how many.
 */
function ml_connector_replay_failed(string $since): int {}

/**
 * The Visma payload(s) the order would become, pretty-printed JSON (dry run).
 *
 * @throws \MlConnector\Exception\MappingException Naming the order, line and missing setting (code 3).
 */
function ml_connector_map_preview(string $order_json): string {}

/**
 * Tests the connection; a passing test resumes a queue paused by a configuration error.
 *
 * Also names every configured id the company does not have (issue #14).
 *
 * @return array{ok: bool, company: ?string, accounts: int, vat_categories: int, error: ?string, setting: ?string, unknown_ids: list<array{setting: string, id: string, message: string}>}
 */
function ml_connector_test_connection(): mixed {}

/**
 * The company's lists for the settings selects: accounts, cash_accounts, customer_classes, supplier_classes,
 * credit_terms, payment_methods, branches, currencies, inventory_items, warehouses, vat_ids (each a list of
 * [id, description]), vat_categories (list of {id, description, rate, vat_ids}), subaccount_segments, errors.
 *
 * @return array<string, mixed>
 */
function ml_connector_lookups(): mixed {}

/**
 * Stores a secret encrypted (visma_client_secret, woocommerce_consumer_secret, webhook_secret); never returned.
 */
function ml_connector_save_secret(string $name, string $value): void {}

function ml_connector_has_secret(string $name): bool {}
