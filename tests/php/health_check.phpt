--TEST--
ml_connector_health_check() writes a heartbeat and GETs a loopback server without following redirects
--FILE--
<?php
declare(strict_types=1);

require __DIR__ . '/support.inc';

$dir    = ml_temp_dir('health');
$router = $dir . '/router.php';
file_put_contents($router, <<<'PHP'
<?php
if ($_SERVER['REQUEST_URI'] === '/redirect') {
	header('Location: http://127.0.0.1:1/never', true, 302);
	return true;
}
http_response_code(204);
return true;
PHP);
[$server, $port] = ml_start_http_server($router);

try {
	$data = $dir . '/data';
	$first = ml_connector_health_check($data, "http://127.0.0.1:$port/ok");
	var_dump(array_keys($first));
	var_dump($first['pid'] === getmypid(), $first['db_ok'], $first['db_error'], $first['http_status'], $first['http_error']);
	var_dump($first['db_path'] === $data . '/ml-connector.sqlite', is_file($first['db_path']));
	var_dump(is_int($first['elapsed_ms']) && $first['elapsed_ms'] >= 0);

	$second = ml_connector_health_check($data, "http://127.0.0.1:$port/redirect");
	var_dump($second['http_status'], $second['db_ok']);

	// Nothing listens on port 1: reported, not thrown.
	$down = ml_connector_health_check($data, 'http://127.0.0.1:1/');
	var_dump($down['http_status'], str_starts_with((string) $down['http_error'], 'GET failed'), $down['db_ok']);
} finally {
	proc_terminate($server);
	proc_close($server);
	ml_remove_dir($dir);
}
?>
--EXPECT--
array(7) {
  [0]=>
  string(3) "pid"
  [1]=>
  string(7) "db_path"
  [2]=>
  string(5) "db_ok"
  [3]=>
  string(8) "db_error"
  [4]=>
  string(11) "http_status"
  [5]=>
  string(10) "http_error"
  [6]=>
  string(10) "elapsed_ms"
}
bool(true)
bool(true)
NULL
int(204)
NULL
bool(true)
bool(true)
bool(true)
int(302)
bool(true)
NULL
bool(true)
bool(true)
