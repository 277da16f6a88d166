--TEST--
phpinfo() has an ml_connector section with the version and the data_dir setting
--INI--
ml_connector.data_dir=/srv/ml-connector-test
--FILE--
<?php
declare(strict_types=1);

ob_start();
phpinfo(INFO_MODULES);
$info = (string) ob_get_clean();
var_dump(str_contains($info, 'ml_connector support => enabled'));
var_dump(str_contains($info, 'Version => ' . ml_connector_version()));
var_dump(str_contains($info, 'ml_connector.data_dir => /srv/ml-connector-test'));
var_dump(ini_get('ml_connector.data_dir'));
// PHP_INI_SYSTEM: a script cannot move the data.
var_dump(ini_set('ml_connector.data_dir', '/tmp/elsewhere'));
?>
--EXPECT--
bool(true)
bool(true)
bool(true)
string(22) "/srv/ml-connector-test"
bool(false)
