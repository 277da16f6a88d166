--TEST--
stubs/ml_connector.stub.php matches the functions the extension exports
--FILE--
<?php
declare(strict_types=1);

function ml_signature(ReflectionFunction $f): string {
	$params = array_map(
		fn(ReflectionParameter $p) => $p->getType() . ' $' . $p->getName() . ( $p->isOptional() ? ' = null' : '' ),
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
ml_connector_audit(array $filter): mixed
ml_connector_configure(string $settings_json, string $data_dir, string $key_material): void
ml_connector_debug_panic(string $msg): void
ml_connector_delete_secret(string $name): bool
ml_connector_drain(int $limit, int $deadline_ms): mixed
ml_connector_enqueue(string $kind, string $payload_json, string $source, ?int $note_seq = null): mixed
ml_connector_has_secret(string $name): bool
ml_connector_health_check(string $data_dir, string $url): array
ml_connector_jobs(array $filter): mixed
ml_connector_lookups(): mixed
ml_connector_map_preview(string $order_json): string
ml_connector_move_queue(string $settings_json, string $data_dir, string $to): mixed
ml_connector_note(string $kind, int $woo_id, int $parent_id): bool
ml_connector_note_failed(string $kind, int $woo_id, string $reason): void
ml_connector_notes(int $limit): mixed
ml_connector_order_state(int $order_id): mixed
ml_connector_replay(int $job_id): void
ml_connector_replay_failed(string $since): int
ml_connector_save_secret(string $name, string $value): void
ml_connector_status(): mixed
ml_connector_test_connection(): mixed
ml_connector_version(): string
ml_connector_visma_documents(string $from, string $to): mixed
ml_connector_visma_totals(int $order_id): mixed
bool(true)
