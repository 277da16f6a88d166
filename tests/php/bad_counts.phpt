--TEST--
Issue #15: counts and durations from PHP are checked, never clamped, wrapped or allowed to overflow the clock
--FILE--
<?php
declare(strict_types=1);

require __DIR__ . '/../../php/autoload.php';

use MlConnector\Exception\InputException;

foreach ([[5, PHP_INT_MAX], [5, -1], [-1, 1000], [PHP_INT_MAX, 1000], [100001, 1000]] as [$limit, $ms]) {
	try {
		ml_connector_drain($limit, $ms);
		echo "drain($limit, $ms): accepted\n";
	} catch (InputException $e) {
		echo "drain($limit, $ms): ", $e->getMessage(), "\n";
	}
}
?>
--EXPECTF--
drain(5, %d): deadline_ms must be 0 to 3600000
drain(5, -1): deadline_ms must be 0 to 3600000
drain(-1, 1000): limit must be 0 to 100000
drain(%d, 1000): limit must be 0 to 100000
drain(100001, 1000): limit must be 0 to 100000
