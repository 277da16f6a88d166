--TEST--
ml_connector_version() returns the crate version
--FILE--
<?php
declare(strict_types=1);

assert(extension_loaded('ml_connector'));
$cargo = (string) file_get_contents(__DIR__ . '/../../Cargo.toml');
preg_match('/^version = "([^"]+)"/m', $cargo, $m);
$version = ml_connector_version();
var_dump($version === $m[1]);
var_dump(1 === preg_match('/^\d+\.\d+\.\d+/', $version));
var_dump(phpversion('ml_connector') === $version);
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
