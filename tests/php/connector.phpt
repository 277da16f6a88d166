--TEST--
The connector functions end to end: configure, enqueue (idempotent), drain into the simulator, state, audit, secrets
--FILE--
<?php
declare(strict_types=1);

require __DIR__ . '/support.inc';
require ML_TEST_ROOT . '/php/autoload.php';

// The Visma.net simulator from this build, on a free loopback port.
$probe = stream_socket_server('tcp://127.0.0.1:0');
$name  = (string) stream_socket_get_name($probe, false);
fclose($probe);
$port = (int) substr($name, strrpos($name, ':') + 1);
$bin  = ML_TEST_ROOT . '/dist/ml-connector';
assert(is_executable($bin), 'build.sh builds dist/ml-connector first');
$sim = proc_open([$bin, 'simulate', '--listen', "127.0.0.1:$port"], [0 => ['pipe', 'r'], 1 => ['file', '/dev/null', 'w'], 2 => ['file', '/dev/null', 'w']], $pipes);
for ($i = 0; $i < 200 && false === ($c = @stream_socket_client("tcp://127.0.0.1:$port", $e, $s, 0.05)); $i++) {
	usleep(25000);
}
assert(false !== $c, 'simulator did not start');

$dir = ml_temp_dir('connector');
try {
	// Not configured yet: a ConfigException, not a fatal.
	try {
		ml_connector_status();
	} catch (\MlConnector\Exception\ConfigException $e) {
		echo 'unconfigured: ', $e->getCode(), "\n";
	}
	// The plugin's settings document: the complete settings (the example, as JSON) and the simulator's URL.
	$example  = json_decode((string) file_get_contents(ML_TEST_ROOT . '/tests/fixtures/settings/example.json'), true);
	$settings = json_encode(['mode' => 'simulator', 'simulator_url' => "http://127.0.0.1:$port", 'settings' => $example]);
	ml_connector_configure($settings, $dir, str_repeat('salt', 8));
	ml_connector_configure($settings, $dir, str_repeat('salt', 8)); // unchanged: no-op

	$order  = (string) file_get_contents(ML_TEST_ROOT . '/tests/fixtures/woo/real/orders/117.json');
	$first  = ml_connector_enqueue('order', $order, 'hook');
	$second = ml_connector_enqueue('order', $order, 'webhook');
	var_dump($first['outcome'], $second['outcome'], $first['job_id'] === $second['job_id']);

	$report = ml_connector_drain(10, 10000);
	var_dump($report['posted'], $report['failed'], $report['remaining']);

	$state = ml_connector_order_state(117);
	var_dump($state['state'], preg_match('/^\d+$/', (string) $state['visma_number']) === 1);

	// Sent again after posting: a no-op that says so.
	$edited = json_decode($order, true);
	$edited['date_modified_gmt'] = '2030-01-01T00:00:00';
	ml_connector_enqueue('order', (string) json_encode($edited), 'hook');
	$again = ml_connector_drain(10, 10000);
	var_dump($again['posted'], $again['already_posted']);

	$totals = ml_connector_visma_totals(117);
	var_dump($totals['visma_number'] === $state['visma_number'], $totals['amount_minor'], $totals['currency']);

	$status = ml_connector_status();
	var_dump($status['counts']['done'], $status['counts']['pending']);

	$actions = array_column(ml_connector_audit(['woo_id' => 117, 'limit' => 50]), 'action');
	var_dump(in_array('posted', $actions, true), in_array('already_posted', $actions, true));

	$jobs = ml_connector_jobs(['kind' => 'order', 'per_page' => 10]);
	var_dump(count($jobs), $jobs[0]['visma_number'] === $state['visma_number']);
	// Issue #15: page 2 is not page 1.
	var_dump(count(ml_connector_jobs(['kind' => 'order', 'per_page' => 1, 'page' => 2])), count(ml_connector_jobs(['kind' => 'order', 'per_page' => 1, 'page' => 3])));

	// Issue #13: a shopper's request only notes the object; enqueueing its JSON clears the note it read.
	var_dump(ml_connector_note('order', 118, 0), ml_connector_note('order', 118, 0));
	$notes = ml_connector_notes(10);
	var_dump(count($notes), $notes[0]['kind'], $notes[0]['woo_id'], ml_connector_status()['notes']);
	ml_connector_note('order', 118, 0); // changed again while the runner built the JSON
	ml_connector_enqueue('order', (string) file_get_contents(ML_TEST_ROOT . '/tests/fixtures/woo/real/orders/118.json'), 'hook', $notes[0]['seq']);
	var_dump(ml_connector_status()['notes']);
	$again_notes = ml_connector_notes(10);
	ml_connector_note_failed('order', 118, 'order 118 was deleted');
	var_dump(ml_connector_status()['notes'], count($again_notes));

	// Bad input: a clear exception and an audit row, never a fatal.
	try {
		ml_connector_enqueue('order', '{"id": "oops"', 'hook');
	} catch (\MlConnector\Exception\InputException $e) {
		echo 'malformed: ', $e->getCode(), "\n";
	}
	try {
		ml_connector_enqueue('invoice', '{}', 'hook');
	} catch (\MlConnector\Exception\InputException $e) {
		echo 'unknown kind: ', str_contains($e->getMessage(), 'invoice') ? 'named' : 'unnamed', "\n";
	}

	$conn = ml_connector_test_connection();
	var_dump($conn['ok'], $conn['accounts'] > 0, $conn['vat_categories'] > 0);

	// Secrets go in encrypted and never come back out.
	ml_connector_save_secret('visma_client_secret', 'hunter2-very-secret');
	var_dump(ml_connector_has_secret('visma_client_secret'));
	// Simulator mode never uses a saved secret (issue #13).
	var_dump(ml_connector_test_connection()['ok']);
	$raw = '';
	foreach (glob($dir . '/ml-connector.sqlite*') ?: [] as $f) {
		$raw .= (string) file_get_contents($f);
	}
	var_dump(str_contains($raw, 'hunter2-very-secret'));
	var_dump(ml_connector_delete_secret('visma_client_secret'), ml_connector_has_secret('visma_client_secret'));

	$preview = json_decode(ml_connector_map_preview($order), true);
	var_dump($preview['key'], $preview['totals']['gross_minor']);
} finally {
	proc_terminate($sim);
	proc_close($sim);
	ml_remove_dir($dir);
}
?>
--EXPECT--
unconfigured: 1
string(8) "inserted"
string(9) "duplicate"
bool(true)
int(1)
int(0)
int(0)
string(4) "done"
bool(true)
int(0)
int(1)
bool(true)
int(426674)
string(3) "NOK"
int(2)
int(0)
bool(true)
bool(true)
int(2)
bool(true)
int(1)
int(0)
bool(true)
bool(false)
int(1)
string(5) "order"
int(118)
int(1)
int(1)
int(0)
int(1)
malformed: 2
unknown kind: named
bool(true)
bool(true)
bool(true)
bool(true)
bool(true)
bool(false)
bool(true)
bool(false)
string(15) "woo:default:117"
int(426674)
