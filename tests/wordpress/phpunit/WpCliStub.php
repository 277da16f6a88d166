<?php
/**
 * TEST DOUBLE of the few WP-CLI APIs php/Cli.php calls (WP_CLI::line/success/warning/error,
 * WP_CLI\Utils\make_progress_bar/format_items): WP-CLI is not packaged in Debian, so the commands are driven
 * directly. error() throws, as WP-CLI's exit would end the command.
 */

declare(strict_types=1);

namespace {
	if ( ! class_exists( 'WP_CLI' ) ) {
		final class WpCliExit extends \RuntimeException {}

		final class WP_CLI { // phpcs:ignore
			/** @var list<string> */
			public static array $out = array();

			public static function line( string $message = '' ): void {
				self::$out[] = $message;
			}

			public static function success( string $message ): void {
				self::$out[] = 'Success: ' . $message;
			}

			public static function warning( string $message ): void {
				self::$out[] = 'Warning: ' . $message;
			}

			/** @return never */
			public static function error( string $message ): void {
				self::$out[] = 'Error: ' . $message;
				throw new WpCliExit( $message );
			}
		}
	}
}

namespace WP_CLI\Utils {
	if ( ! function_exists( 'WP_CLI\Utils\make_progress_bar' ) ) {
		function make_progress_bar( string $message, int $count ): object {
			return new class( $message, $count ) {
				public int $ticks = 0;
				public function __construct( public string $message, public int $count ) {}
				public function tick(): void {
					++$this->ticks;
				}
				public function finish(): void {
					\WP_CLI::line( sprintf( '%s %d/%d', $this->message, $this->ticks, $this->count ) );
				}
			};
		}

		function format_items( string $format, array $items, array $fields ): void {
			foreach ( $items as $item ) {
				\WP_CLI::line( implode( "\t", array_map( static fn( $f ) => (string) ( $item[ $f ] ?? '' ), $fields ) ) );
			}
		}
	}
}
