<?php
/**
 * PSR-4 autoloader for the plugin's classes: MlConnector\Foo\Bar lives in php/Foo/Bar.php.
 *
 * The extension throws MlConnector\Exception\* classes by name, so this must be registered before any
 * ml_connector_* call.
 *
 * @package MlConnector
 */

declare(strict_types=1);

spl_autoload_register(
	static function ( string $class_name ): void {
		$prefix = 'MlConnector\\';
		if ( ! str_starts_with( $class_name, $prefix ) ) {
			return;
		}
		$relative = substr( $class_name, strlen( $prefix ) );
		// Autoloaders receive any string given to class_exists(); accept class names only, never a path.
		if ( 1 !== preg_match( '/^[A-Za-z_][A-Za-z0-9_]*(\\\\[A-Za-z_][A-Za-z0-9_]*)*$/', $relative ) ) {
			return;
		}
		$file = __DIR__ . '/' . str_replace( '\\', '/', $relative ) . '.php';
		if ( is_file( $file ) ) {
			require_once $file;
		}
	}
);
