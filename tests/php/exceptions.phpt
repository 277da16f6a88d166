--TEST--
A Rust error reaches PHP as its MlConnector\Exception class with a stable code
--FILE--
<?php
declare(strict_types=1);

require __DIR__ . '/../../php/autoload.php';

use MlConnector\Exception\Exception as ConnectorException;
use MlConnector\Exception\InputException;

$cases = [
	'empty data dir'  => fn() => ml_connector_health_check('', 'http://127.0.0.1/'),
	'bad url scheme'  => fn() => ml_connector_health_check(sys_get_temp_dir(), 'file:///etc/passwd'),
	'unparsable url'  => fn() => ml_connector_health_check(sys_get_temp_dir(), 'not a url'),
	'test hook off'   => fn() => ml_connector_debug_panic('must not panic'),
];
foreach ($cases as $name => $call) {
	try {
		$call();
		echo "$name: no exception\n";
	} catch (ConnectorException $e) {
		printf(
			"%s: %s code=%d runtime=%s input=%s\n",
			$name,
			get_class($e),
			$e->getCode(),
			var_export($e instanceof RuntimeException, true),
			var_export($e->getCode() === InputException::CODE, true)
		);
	}
}
try {
	ml_connector_health_check('', 'http://127.0.0.1/');
} catch (InputException $e) {
	echo $e->getMessage(), "\n";
}
?>
--EXPECT--
empty data dir: MlConnector\Exception\InputException code=2 runtime=true input=true
bad url scheme: MlConnector\Exception\InputException code=2 runtime=true input=true
unparsable url: MlConnector\Exception\InputException code=2 runtime=true input=true
test hook off: MlConnector\Exception\InputException code=2 runtime=true input=true
data_dir is empty
