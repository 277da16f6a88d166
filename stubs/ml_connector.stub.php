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
 * Test hook: panics with $msg (seen as \MlConnector\Exception\InternalError, code 6) when the environment has
 * ML_CONNECTOR_TEST_HOOKS=1; otherwise throws \MlConnector\Exception\InputException (code 2).
 *
 * @throws \MlConnector\Exception\InternalError
 * @throws \MlConnector\Exception\InputException
 */
function ml_connector_debug_panic(string $msg): void {}
