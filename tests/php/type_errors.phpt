--TEST--
Wrong argument types give TypeError, even without strict_types
--FILE--
<?php
// No strict_types on purpose: the extension is strict anyway (NOTES G4).
$calls = [
	'int as data_dir'   => fn() => ml_connector_health_check(123, 'http://127.0.0.1/'),
	'array as url'      => fn() => ml_connector_health_check('/tmp', []),
	'null as message'   => fn() => ml_connector_debug_panic(null),
	'missing argument'  => fn() => ml_connector_health_check('/tmp'),
];
foreach ($calls as $name => $call) {
	try {
		$call();
		echo "$name: accepted\n";
	} catch (TypeError | ArgumentCountError $e) {
		echo "$name: ", get_class($e), "\n";
	}
}
?>
--EXPECT--
int as data_dir: TypeError
array as url: TypeError
null as message: TypeError
missing argument: ArgumentCountError
