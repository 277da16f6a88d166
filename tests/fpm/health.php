<?php
/**
 * The FastCGI script of tests/fpm/run.sh: one health check (HTTP call + SQLite write) in this FPM worker.
 * Prints "ok pid=… db_ok=… http=… ms=…" or "error …" with status 500.
 */

declare(strict_types=1);

header('Content-Type: text/plain');
try {
	$r = ml_connector_health_check((string) $_SERVER['ML_DATA_DIR'], (string) $_SERVER['ML_URL']);
	if (! $r['db_ok'] || 204 !== $r['http_status']) {
		http_response_code(500);
		printf("error db=%s http=%s\n", (string) $r['db_error'], (string) ($r['http_error'] ?? $r['http_status']));
		return;
	}
	printf("ok pid=%d db_ok=1 http=%d ms=%d\n", $r['pid'], $r['http_status'], $r['elapsed_ms']);
} catch (\Throwable $e) {
	http_response_code(500);
	printf("error %s %d %s\n", get_class($e), $e->getCode(), $e->getMessage());
}
