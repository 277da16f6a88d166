--TEST--
stubs/ml_connector.stub.php matches the functions the extension exports
--FILE--
<?php
declare(strict_types=1);

function ml_signature(ReflectionFunction $f): string {
	$params = array_map(
		fn(ReflectionParameter $p) => $p->getType() . ' $' . $p->getName(),
		$f->getParameters()
	);
	return $f->getName() . '(' . implode(', ', $params) . '): ' . $f->getReturnType();
}

$exported = (new ReflectionExtension('ml_connector'))->getFunctions();
ksort($exported);
$actual = array_map('ml_signature', array_values($exported));

preg_match_all('/^function (.+) \{\}$/m', (string) file_get_contents(__DIR__ . '/../../stubs/ml_connector.stub.php'), $m);
$stub = $m[1];
sort($stub);

echo implode("\n", $actual), "\n";
var_dump($actual === $stub);
?>
--EXPECT--
ml_connector_debug_panic(string $msg): void
ml_connector_health_check(string $data_dir, string $url): array
ml_connector_version(): string
bool(true)
