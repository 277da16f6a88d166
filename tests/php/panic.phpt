--TEST--
A Rust panic surfaces as MlConnector\Exception\InternalError (an \Error), the worker survives, stderr stays empty
--FILE--
<?php
declare(strict_types=1);

require __DIR__ . '/support.inc';

$autoload = var_export(realpath(__DIR__ . '/../../php/autoload.php'), true);
$script   = <<<PHP
require $autoload;
try {
	ml_connector_debug_panic('boom from the test');
	echo "no throw\n";
} catch (\Exception \$e) {
	echo "wrongly caught as Exception\n";
} catch (\Error \$e) {
	printf("%s code=%d error=%s msg=%s\n", get_class(\$e), \$e->getCode(), var_export(\$e instanceof \Error, true), \$e->getMessage());
}
echo "alive: ", ml_connector_version() === phpversion('ml_connector') ? 'yes' : 'no', "\n";
PHP;

// RUST_BACKTRACE=1 makes Rust's default panic hook as loud as possible: stderr must still be empty.
$env = ['ML_CONNECTOR_TEST_HOOKS' => '1', 'RUST_BACKTRACE' => '1'];
[$out, $err, $code] = ml_run_php($script, $env);
echo $out;
var_dump($err, $code);

// Without the autoloader the fallback is \Error, still code 6.
[$out, $err, $code] = ml_run_php(
	'try { ml_connector_debug_panic("bare"); } catch (\Throwable $e) { echo get_class($e), " ", $e->getCode(), "\n"; }',
	$env
);
echo $out;
var_dump($err, $code);
?>
--EXPECT--
MlConnector\Exception\InternalError code=6 error=true msg=internal error: boom from the test
alive: yes
string(0) ""
int(0)
Error 6
string(0) ""
int(0)
