<?php
// A minimal FastCGI client for the PHP-FPM benches (no process per request, unlike cgi-fcgi, so client noise
// stays out of the timings). Sends the requests of a plan round robin over one connection each, times every
// request end to end and reads the `t_ns` the script measured around the connector call.
//
//   php -n client.php PORT SCRIPT PLAN [RSS_EVERY] [FIRST_ID]
//   PLAN = mode:count[,mode:count...], e.g. base:2000,enqueue:2000,inline:200 (interleaved in proportion)
// Prints `RESULT fpm_<mode> n= p50_us= p99_us= call_p50_us= call_p99_us=` and, with RSS_EVERY, `SAMPLE fpm_rss`.
declare(strict_types=1);

[, $port, $script, $plan] = $argv;
$rss_every = (int) ($argv[4] ?? 0);
$next_id   = (int) ($argv[5] ?? 5000000);

function fcgi_record(int $type, string $content): string {
	$len = strlen($content);
	$pad = (8 - $len % 8) % 8;
	return pack('CCnnCC', 1, $type, 1, $len, $pad, 0) . $content . str_repeat("\0", $pad);
}
function fcgi_pair(string $k, string $v): string {
	$enc = fn (int $n) => $n < 128 ? chr($n) : pack('N', $n | 0x80000000);
	return $enc(strlen($k)) . $enc(strlen($v)) . $k . $v;
}
function fcgi_request(string $addr, array $params): string {
	$s = stream_socket_client("tcp://$addr", $errno, $errstr, 5);
	if (false === $s) {
		fwrite(STDERR, "connect failed: $errstr\n");
		exit(1);
	}
	$p = '';
	foreach ($params as $k => $v) {
		$p .= fcgi_pair($k, $v);
	}
	fwrite($s, fcgi_record(1, pack('nCx5', 1, 0)) . fcgi_record(4, $p) . fcgi_record(4, '') . fcgi_record(5, ''));
	$out = '';
	while (true) {
		$h = stream_get_contents($s, 8);
		if (false === $h || strlen($h) < 8) {
			break;
		}
		$r = unpack('Cversion/Ctype/nid/nlen/Cpad/Cres', $h);
		$body = $r['len'] + $r['pad'] > 0 ? (string) stream_get_contents($s, $r['len'] + $r['pad']) : '';
		if (6 === $r['type']) {
			$out .= substr($body, 0, $r['len']);
		} elseif (3 === $r['type']) {
			break;
		}
	}
	fclose($s);
	return $out;
}
function rss_kib(int $pid): int {
	$status = @file_get_contents("/proc/$pid/status");
	return false !== $status && preg_match('/^VmRSS:\s+(\d+)/m', $status, $m) ? (int) $m[1] : -1;
}
// The memory of this worker alone (anonymous pages: heap, stacks, relocated data): the extension's code pages that
// every worker maps count in each worker's RSS but once on the machine.
function anon_kib(int $pid): int {
	$rollup = @file_get_contents("/proc/$pid/smaps_rollup");
	if (false === $rollup || ! preg_match_all('/^Anonymous:\s+(\d+)/m', $rollup, $m)) {
		return -1;
	}
	return (int) array_sum($m[1]);
}
function pct(array $sorted, float $p): float {
	$n = count($sorted);
	return 0 === $n ? 0.0 : $sorted[max(1, (int) ceil($p / 100 * $n)) - 1];
}

$want = [];
foreach (explode(',', $plan) as $part) {
	[$mode, $count] = explode(':', $part);
	$want[$mode]    = (int) $count;
}
$max   = max($want);
$e2e   = array_fill_keys(array_keys($want), []);
$call  = $e2e;
$sent  = 0;
$pid   = 0;
$errors = 0;
$addr  = "127.0.0.1:$port";
for ($i = 0; $i < $max; $i++) {
	foreach ($want as $mode => $count) {
		// Spread a smaller count evenly over the run.
		if ((int) floor(($i + 1) * $count / $max) === (int) floor($i * $count / $max)) {
			continue;
		}
		$t0  = hrtime(true);
		$out = fcgi_request($addr, ['SCRIPT_FILENAME' => $script, 'REQUEST_METHOD' => 'GET', 'SERVER_PROTOCOL' => 'HTTP/1.1',
			'QUERY_STRING' => 'mode=' . $mode . '&id=' . ($next_id++), 'GATEWAY_INTERFACE' => 'CGI/1.1']);
		$t1  = hrtime(true);
		if (! preg_match('/ok pid=(\d+) t_ns=(\d+)/', $out, $m) || str_contains($out, 'error')) {
			$errors++;
			if ($errors <= 3) {
				fwrite(STDERR, "bad answer: " . substr($out, 0, 400) . "\n");
			}
			continue;
		}
		$pid             = (int) $m[1];
		$e2e[$mode][]    = ($t1 - $t0) / 1000;
		$call[$mode][]   = ((int) $m[2]) / 1000;
		$sent++;
		if ($rss_every > 0 && 0 === $sent % $rss_every) {
			echo "SAMPLE fpm_rss requests=$sent pid=$pid rss_kib=", rss_kib($pid), "\n";
		}
	}
}
foreach ($want as $mode => $_) {
	sort($e2e[$mode]);
	sort($call[$mode]);
	printf("RESULT fpm_%s n=%d p50_us=%.1f p99_us=%.1f call_p50_us=%.1f call_p99_us=%.1f errors=%d\n", $mode, count($e2e[$mode]),
		pct($e2e[$mode], 50), pct($e2e[$mode], 99), pct($call[$mode], 50), pct($call[$mode], 99), $errors);
}
if ($rss_every > 0) {
	echo "RESULT fpm_rss_final requests=$sent pid=$pid rss_kib=", rss_kib($pid), ' anon_kib=', anon_kib($pid), "\n";
}
