<?php
// Benchmark request (benches/fpm/run.sh): what a checkout does around the connector. Every mode builds the
// order's REST v3 JSON from a real capture with a fresh id (the plugin's OrderEvents does the same work);
// `enqueue` then calls the extension, `inline` makes one HTTP round trip to the simulator (what inline
// connectors do), `base` stops there. The connector part is timed with hrtime and echoed for the client.
declare(strict_types=1);

parse_str((string) ($_SERVER['QUERY_STRING'] ?? ''), $q);
$mode = (string) ($q['mode'] ?? 'base');
$id   = (int) ($q['id'] ?? 1);

$order           = json_decode((string) file_get_contents((string) getenv('ML_ORDER')), true);
$order['id']     = $id;
$order['number'] = (string) $id;
$json            = (string) json_encode($order);
$settings        = (string) file_get_contents((string) getenv('ML_SETTINGS_FILE'));

$t0 = hrtime(true);
if ('enqueue' === $mode) {
	ml_connector_configure($settings, (string) getenv('ML_DATA_DIR'), str_repeat('bench-key-', 4));
	$r = ml_connector_enqueue('order', $json, 'hook');
	if ('inserted' !== $r['outcome']) {
		echo "error outcome={$r['outcome']}\n";
	}
} elseif ('inline' === $mode) {
	// One call to the simulator with 150 ms latency: a Visma Connect token request (client credentials).
	$body = http_build_query(['grant_type' => 'client_credentials', 'client_id' => 'demo-client',
		'client_secret' => 'demo-secret', 'tenant_id' => 'demo-tenant', 'scope' => 'vismanet_erp_service_api:read']);
	$ctx  = stream_context_create(['http' => ['method' => 'POST', 'header' => "Content-Type: application/x-www-form-urlencoded\r\n",
		'content' => $body, 'ignore_errors' => true, 'timeout' => 10]]);
	$res  = file_get_contents((string) getenv('ML_SIM_TOKEN_URL'), false, $ctx);
	if (false === $res || ! str_contains($res, 'access_token')) {
		echo "error inline\n";
	}
}
$t1 = hrtime(true);
echo 'ok pid=', getmypid(), ' t_ns=', $t1 - $t0, ' bytes=', strlen($json), "\n";
