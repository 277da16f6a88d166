--TEST--
Without the autoloader the extension falls back to \Exception, keeping the code
--FILE--
<?php
declare(strict_types=1);

try {
	ml_connector_health_check('', 'http://127.0.0.1/');
} catch (Exception $e) {
	echo get_class($e), ' ', $e->getCode(), "\n";
}
?>
--EXPECT--
Exception 2
